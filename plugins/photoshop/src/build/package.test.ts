import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { loadLikeUxp, staticProblems } from './browser-safety.js';
import { manifestProblems, packagePlugin } from './package.js';
import { photoshopPackageRoot } from './package-root.js';
import { checkJsonSchema, type Schema } from './json-schema-check.js';
import { crc32 } from '@latent-bridge/shared';
import { readZip, writeZip } from './zip.js';

const root = photoshopPackageRoot();
const schema = JSON.parse(readFileSync(path.join(root, 'manifest.schema.json'), 'utf8')) as Schema;
const manifest = JSON.parse(readFileSync(path.join(root, 'manifest.json'), 'utf8')) as Record<string, unknown>;

describe('manifest v5', () => {
  test('the manifest is valid and allows the bridge on localhost and 127.0.0.1', () => {
    assert.deepEqual(manifestProblems(manifest, schema), []);
    assert.deepEqual((manifest['requiredPermissions'] as { network: { domains: string[] } }).network.domains, ['ws://localhost:7450', 'ws://127.0.0.1:7450']);
  });

  test('the schema rejects what Adobe documents as wrong', () => {
    const broken = (patch: Record<string, unknown>) => checkJsonSchema({ ...manifest, ...patch }, schema);
    assert.match(broken({ manifestVersion: 4 }).join(), /manifestVersion: must be 5/);
    assert.match(broken({ host: [{ app: 'PS', minVersion: '25.0.0' }] }).join(), /host: must be object/);
    assert.match(broken({ requiredPermissions: { network: { domains: ['all'] } } }).join(), /domains/);
    assert.match(broken({ requiredPermissions: { network: { domains: ['ws://127.0.0.1:7450/ws'] } } }).join(), /domains/);
    assert.match(broken({ entrypoints: [] }).join(), /at least 1/);
    assert.match(broken({ mainfile: 'x' }).join(), /unknown property mainfile/);
    assert.match(broken({ version: 'one' }).join(), /version: does not match/);
    assert.deepEqual(broken({ requiredPermissions: { network: { domains: 'all' } } }), []);
    assert.match(manifestProblems({ ...manifest, requiredPermissions: { network: { domains: ['ws://localhost:7450'] } } }, schema).join(), /lacks ws:\/\/127\.0\.0\.1:7450/);
  });
});

describe('zip', () => {
  test('crc32 matches the standard check value', () => {
    assert.equal(crc32(new TextEncoder().encode('123456789')), 0xcbf43926);
  });

  test('round trip', () => {
    const entries = [{ name: 'a.txt', data: new TextEncoder().encode('hello '.repeat(100)) }, { name: 'b/c.bin', data: Uint8Array.of(0, 1, 2, 255) }];
    const back = readZip(writeZip(entries));
    assert.deepEqual([...back.keys()], ['a.txt', 'b/c.bin']);
    assert.deepEqual(back.get('b/c.bin'), Uint8Array.of(0, 1, 2, 255));
  });
});

describe('browser safety', () => {
  test('static check flags Node-only constructs and allows the host modules', () => {
    assert.deepEqual(staticProblems('const p = require("photoshop"); const u = require("uxp");'), []);
    assert.deepEqual(staticProblems('require("fs")'), ['requires "fs"']);
    assert.equal(staticProblems('x = process.env.HOME').length, 1);
    assert.equal(staticProblems('Buffer.from([1])').length, 1);
    assert.equal(staticProblems('import("node:path")').length, 1);
    assert.deepEqual(staticProblems('el.toggleAttribute("x", true); m.replaceChildren(a); s.addEventListener("abort", f)'), [
      'uses Element.toggleAttribute (not in UXP)', 'uses replaceChildren (UXP 8.0+ only)', 'uses AbortSignal events (not in UXP)',
    ]);
  });

  test('the sandbox has no Node globals', () => {
    assert.throws(() => loadLikeUxp('process.cwd()'), /process is not defined/);
    assert.throws(() => loadLikeUxp('require("fs")'), /no module "fs"/);
    assert.deepEqual(loadLikeUxp('require("uxp").entrypoints.setup({ panels: { p: {} } })'), ['p']);
  });
});

test('npm run package: a .ccx with the manifest at its root and a bundle that loads like UXP', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'lb-ps-ccx-'));
  try {
    const result = await packagePlugin(root, path.join(dir, 'plugin.ccx'));
    const files = readZip(readFileSync(result.ccx));
    assert.deepEqual([...files.keys()].sort(), ['icons/panel.png', 'icons/panel@2x.png', 'icons/plugin.png', 'icons/plugin@2x.png', 'index.html', 'index.js', 'manifest.json', 'panel.css']);
    const packed = JSON.parse(new TextDecoder().decode(files.get('manifest.json'))) as unknown;
    assert.deepEqual(packed, manifest);
    assert.deepEqual(manifestProblems(packed, schema), []);
    const code = new TextDecoder().decode(files.get('index.js'));
    assert.deepEqual(staticProblems(code), []);
    assert.deepEqual(loadLikeUxp(code), ['latent-bridge.panel']);
    assert.match(new TextDecoder().decode(files.get('index.html')), /<script src="index.js">/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the shared protocol parses and encodes inside the UXP-like sandbox (no eval)', async () => {
  const { build } = await import('esbuild');
  const out = await build({
    stdin: {
      contents: `import { parseServerMessage, encodeFrame } from '@latent-bridge/shared';
        const m = parseServerMessage('{"type":"queued","id":"j1","position":0}');
        const f = encodeFrame({ kind: 'mask', format: 'raw-gray', channels: 1, bitDepth: 8, jobId: 'j1', frameId: 1, batchIndex: 0, width: 1, height: 1 }, new Uint8Array(1));
        require('uxp').entrypoints.setup({ panels: { [m.type + f.length]: {} } });`,
      resolveDir: root,
      loader: 'ts',
    },
    bundle: true,
    format: 'iife',
    platform: 'browser',
    external: ['uxp'],
    write: false,
    logLevel: 'silent',
  });
  assert.deepEqual(loadLikeUxp(out.outputFiles[0]?.text ?? ''), ['queued35']);
});
