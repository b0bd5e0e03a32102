import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { BRIDGE_SUBPROTOCOL, type SocketFactory, type SocketLike } from '../client/socket.js';

/** A bridge server CLI process on a free loopback port, with the demo (oracle) models. */
export interface SpawnedBridge {
  port: number;
  wsUrl: string;
  token: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** bridge-server/dist/cli/main.js of this checkout ($LATENT_BRIDGE_CLI overrides), or null. */
export function bridgeCliPath(): string | null {
  const fromEnv = process.env['LATENT_BRIDGE_CLI'];
  if (fromEnv) return existsSync(fromEnv) ? fromEnv : null;
  for (const start of [path.dirname(fileURLToPath(import.meta.url)), process.cwd()]) {
    let dir = start;
    for (;;) {
      const cli = path.join(dir, 'bridge-server', 'dist', 'cli', 'main.js');
      if (existsSync(cli)) return cli;
      const up = path.dirname(dir);
      if (up === dir) break;
      dir = up;
    }
  }
  return null;
}

/** Demo models are generated once per config dir; tests of one run share this one. */
const sharedConfigDir = path.join(tmpdir(), 'latent-bridge-photoshop-e2e');

export async function spawnBridge(cli: string, token = 'e2e-token'): Promise<SpawnedBridge> {
  const models = mkdtempSync(path.join(tmpdir(), 'lb-ps-models-'));
  const child = spawn(process.execPath, [cli, 'serve', '--port', '0', '--demo', '--token', token, '--config-dir', sharedConfigDir, '--models', models], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`bridge did not start in 60 s: ${stderr}`)), 60_000);
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const match = /latent-bridge listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`bridge exited (${code}): ${stderr}`));
    });
  });
  return {
    port,
    wsUrl: `ws://127.0.0.1:${port}/ws`,
    token,
    process: child,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(models, { recursive: true, force: true });
    },
  };
}

/**
 * The `ws` package behind the browser-style interface UXP offers. `guard` is asked before
 * every send; the e2e tests use it to catch network traffic inside a Photoshop modal scope.
 */
export function wsFactory(guard?: () => void): SocketFactory {
  return (url) => {
    // Offers the sub-protocol as the UXP client does: ws fails the handshake unless the bridge echoes it.
    const socket = new WebSocket(url, BRIDGE_SUBPROTOCOL);
    const send = socket.send.bind(socket);
    (socket as unknown as { send: (data: unknown) => void }).send = (data) => {
      guard?.();
      send(data as Buffer);
    };
    return socket as unknown as SocketLike;
  };
}
