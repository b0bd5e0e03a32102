import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startBridgeServer, type BridgeServerOptions, type RunningBridge } from '@latent-bridge/bridge-server';

export interface TestBridge extends RunningBridge {
  /** Stops the server and removes its temporary folders. */
  stop(): Promise<void>;
}

/**
 * A real bridge on a free loopback port with a fresh token and freshly generated demo models
 * (in a config dir of its own, so a stale cache from an older build can never be tested).
 */
export async function startTestBridge(options: BridgeServerOptions = {}): Promise<TestBridge> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'lb-e2e-'));
  const bridge = await startBridgeServer({
    port: 0,
    configDir: path.join(dir, 'config'),
    modelsDir: path.join(dir, 'models'),
    token: `test-token-${Math.random().toString(36).slice(2)}`,
    demo: true,
    threads: 1,
    ...options,
  });
  return {
    ...bridge,
    stop: async () => {
      await bridge.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The generate fields every test starts from: the oracle, small and quick. */
export const BASE_JOB = {
  mode: 'txt2img',
  model: 'demo',
  prompt: 'red',
  steps: 4,
  guidance: 1,
  scheduler: 'euler',
  seed: 7,
  width: 64,
  height: 64,
} as const;

/** Every pixel of an RGBA8 buffer within `tolerance` of `rgb`, alpha 255. */
export function allPixelsNear(data: Uint8Array, rgb: readonly [number, number, number], tolerance = 1): boolean {
  for (let i = 0; i < data.length; i += 4) {
    if (Math.abs((data[i] as number) - rgb[0]) > tolerance) return false;
    if (Math.abs((data[i + 1] as number) - rgb[1]) > tolerance) return false;
    if (Math.abs((data[i + 2] as number) - rgb[2]) > tolerance) return false;
    if (data[i + 3] !== 255) return false;
  }
  return true;
}
