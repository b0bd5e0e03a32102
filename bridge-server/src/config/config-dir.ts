import os from 'node:os';
import path from 'node:path';

/**
 * Where latent-bridge keeps its per-user settings (the token, the demo model cache):
 * $LATENT_BRIDGE_CONFIG_DIR, else %APPDATA%\latent-bridge on Windows, else
 * $XDG_CONFIG_HOME/latent-bridge, else ~/.config/latent-bridge.
 */
export function defaultConfigDir(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  home: string = os.homedir(),
): string {
  const override = env['LATENT_BRIDGE_CONFIG_DIR'];
  if (override !== undefined && override !== '') return path.resolve(override);
  if (platform === 'win32') {
    const base = env['APPDATA'] || path.win32.join(home, 'AppData', 'Roaming');
    return path.win32.join(base, 'latent-bridge');
  }
  const base = env['XDG_CONFIG_HOME'] || path.join(home, '.config');
  return path.join(base, 'latent-bridge');
}
