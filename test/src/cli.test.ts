import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { BridgeClient } from './bridge-client.js';
import { BASE_JOB } from './test-server.js';

/** The CLI of the bridge-server build this test imports (bridge-server/dist/cli/main.js). */
const CLI = path.join(path.dirname(fileURLToPath(import.meta.resolve('@latent-bridge/bridge-server'))), 'cli', 'main.js');

test('`serve --port 0` prints its URL, serves the demo model with the config-dir token, `token` prints it, SIGTERM stops it', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'lb-cli-'));
  const configDir = path.join(dir, 'config');
  const env = { ...process.env, LATENT_BRIDGE_CONFIG_DIR: dir, LATENT_BRIDGE_TOKEN: '' };
  try {
    const tokenOut = spawn(process.execPath, [CLI, 'token', '--config-dir', configDir], { env });
    const [token] = await Promise.all([collect(tokenOut.stdout), once(tokenOut, 'exit')]);
    assert.equal(token.trim(), (await readFile(path.join(configDir, 'token'), 'utf8')).trim());

    const server = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--config-dir', configDir, '--models', path.join(dir, 'models')], { env });
    const stderr = collect(server.stderr);
    const line = await firstLine(server.stdout);
    const match = /^latent-bridge listening on (http:\/\/127\.0\.0\.1:(\d+))$/.exec(line);
    assert.ok(match, line);
    const c = await BridgeClient.connect(`ws://127.0.0.1:${match[2]}/ws`, token.trim());
    c.generate({ ...BASE_JOB, id: 'cli' });
    assert.equal((await c.job('cli')).end.type, 'done');
    server.kill('SIGTERM');
    const [code] = (await once(server, 'exit')) as [number | null];
    assert.equal(code, 0, await stderr);
    assert.equal((await c.closed).code, 1001);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

function collect(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => (text += chunk));
    stream.on('end', () => resolve(text));
  });
}

async function firstLine(stream: NodeJS.ReadableStream): Promise<string> {
  const rl = createInterface({ input: stream });
  for await (const line of rl) return line;
  throw new Error('the server exited before printing a line');
}
