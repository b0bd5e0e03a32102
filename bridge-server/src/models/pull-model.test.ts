import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BridgeError } from '@latent-bridge/shared';
import { pullModel, type PullOptions, type PullProgress } from './pull-model.js';
import { FakeHub } from './testing/fake-hub.js';
import { writeFixtureModel } from './testing/fixture-model.js';

const REPO = 'test-org/tiny-sd-onnx';
const WEIGHTS = 'unet/weights.pb';
let root = '';
let files = new Map<string, Uint8Array>();
let n = 0;

before(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'lb-pull-'));
  // The model is built once on disk, and the hub serves exactly those bytes (plus noise).
  files = await writeFixtureModel(path.join(root, 'source'), { unetExternalData: 'weights.pb', externalDataPadding: 300_000 });
  files.set('README.md', new TextEncoder().encode('# readme'));
  files.set('unet/diffusion_pytorch_model.safetensors', new Uint8Array(1000));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

async function withHub(fn: (hub: FakeHub, dest: string) => Promise<void>, extraEntries: unknown[] = []): Promise<void> {
  const hub = new FakeHub(REPO, 'main', files, extraEntries);
  await hub.start();
  try {
    await fn(hub, path.join(root, `dest-${n++}`));
  } finally {
    await hub.stop();
  }
}

function options(hub: FakeHub, dest: string, extra: Partial<PullOptions> = {}): PullOptions {
  return { dest, endpoint: hub.endpoint, token: 'hf_test', retryDelayMs: 1, ...extra };
}

async function assertSameFiles(dest: string): Promise<void> {
  for (const [p, bytes] of files) {
    if (p === 'README.md' || p.endsWith('.safetensors')) continue;
    const got = await readFile(path.join(dest, ...p.split('/')));
    assert.ok(Buffer.from(bytes).equals(got), `${p} is byte-exact`);
  }
}

function expectCode(code: string, check?: (e: BridgeError) => void): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(e instanceof BridgeError, String(e));
    assert.equal(e.code, code, e.message);
    check?.(e);
    return true;
  };
}

test('pulls the pipeline files, resuming a dropped connection byte-exactly', async () => {
  await withHub(
    async (hub, dest) => {
      hub.faults.drop = new Map([[WEIGHTS, { after: 100_000, times: 1 }]]);
      const progress: PullProgress[] = [];
      const info = await pullModel(REPO, options(hub, dest, { onProgress: (p) => progress.push(p) }));
      assert.equal(info.dir, dest);
      assert.equal(info.hasVaeEncoder, true);
      await assertSameFiles(dest);

      const weightRequests = hub.fileRequests(WEIGHTS).filter((r) => r.url.startsWith('/cdn/'));
      assert.equal(weightRequests.length, 2);
      assert.equal(weightRequests[0]?.range, undefined);
      const resumeFrom = Number(/^bytes=(\d+)-$/.exec(weightRequests[1]?.range ?? '')?.[1]);
      assert.ok(resumeFrom > 0 && resumeFrom <= 100_000, `resumed from ${resumeFrom}`);

      // Only what the pipeline needs, nothing outside the folder, no leftovers.
      assert.equal(hub.fileRequests('README.md').length, 0);
      assert.equal(hub.fileRequests('unet/diffusion_pytorch_model.safetensors').length, 0);
      assert.equal(hub.requests.some((r) => r.url.includes('evil')), false);
      assert.deepEqual((await readdir(path.join(dest, 'unet'))).sort(), ['model.onnx', 'weights.pb']);
      assert.equal(hub.requests[0]?.authorization, 'Bearer hf_test');

      const total = [...files].filter(([p]) => p !== 'README.md' && !p.endsWith('.safetensors')).reduce((s, [, b]) => s + b.length, 0);
      assert.ok(progress.length > 0);
      for (let i = 1; i < progress.length; i++) {
        assert.ok((progress[i]?.bytes ?? 0) >= (progress[i - 1]?.bytes ?? 0), 'overall bytes never decrease');
        assert.equal(progress[i]?.total, total);
      }
      assert.equal(progress.at(-1)?.bytes, total);
      const weightProgress = progress.filter((p) => p.file === WEIGHTS);
      assert.equal(weightProgress.at(-1)?.fileBytes, weightProgress.at(-1)?.fileTotal);

      // A second pull finds everything in place and downloads nothing.
      const before = hub.requests.length;
      await pullModel(REPO, options(hub, dest));
      assert.ok(hub.requests.slice(before).every((r) => r.url.startsWith('/api/')));
    },
    [{ type: 'file', path: '../evil.onnx', size: 3 }, { type: 'file', path: 'unet/../../evil', size: 3 }],
  );
});

test('a .part file survives a failed pull and the next call resumes it', async () => {
  await withHub(async (hub, dest) => {
    // No retries: the first cut connection ends the pull, leaving the .part behind.
    hub.faults.drop = new Map([[WEIGHTS, { after: 50_000, times: 1 }]]);
    const failing = pullModel(REPO, options(hub, dest, { retries: 0 }));
    await assert.rejects(failing, expectCode('download_failed', (e) => assert.match(e.message, /unet\/weights\.pb/)));
    const part = await stat(path.join(dest, 'unet', 'weights.pb.part'));
    assert.ok(part.size > 0 && part.size <= 50_000);

    hub.faults.drop = new Map();
    await pullModel(REPO, options(hub, dest));
    const last = hub.fileRequests(WEIGHTS).at(-1);
    assert.equal(last?.range, `bytes=${part.size}-`);
    await assertSameFiles(dest);
  });
});

test('a stalled connection is dropped after the idle timeout and resumed', async () => {
  await withHub(async (hub, dest) => {
    hub.faults.stall = new Map([[WEIGHTS, { after: 20_000, times: 1 }]]);
    await pullModel(REPO, options(hub, dest, { idleTimeoutMs: 150 }));
    const ranges = hub.fileRequests(WEIGHTS).filter((r) => r.url.startsWith('/cdn/')).map((r) => r.range);
    assert.equal(ranges.length, 2);
    assert.match(ranges[1] ?? '', /^bytes=\d+-$/);
    await assertSameFiles(dest);
  });
});

test('a server that ignores Range restarts the file and still ends byte-exact', async () => {
  await withHub(async (hub, dest) => {
    await mkdir(path.join(dest, 'unet'), { recursive: true });
    await writeFile(path.join(dest, 'unet', 'weights.pb.part'), new Uint8Array(1234).fill(9));
    hub.faults.ignoreRange = true;
    const progress: PullProgress[] = [];
    await pullModel(REPO, options(hub, dest, { onProgress: (p) => progress.push(p) }));
    assert.equal(hub.fileRequests(WEIGHTS).at(-1)?.range, 'bytes=1234-');
    await assertSameFiles(dest);
    for (let i = 1; i < progress.length; i++) assert.ok((progress[i]?.bytes ?? 0) >= (progress[i - 1]?.bytes ?? 0));
  });
});

test('unknown repo, missing file, wrong size and wrong sha256', async () => {
  await withHub(async (hub, dest) => {
    await assert.rejects(pullModel(REPO, options(hub, dest, { signal: AbortSignal.abort() })), { name: 'AbortError' });
    const controller = new AbortController();
    hub.faults.stall = new Map([[WEIGHTS, { after: 1000, times: 1 }]]);
    const aborted = pullModel(REPO, options(hub, `${dest}-abort`, { signal: controller.signal }));
    setTimeout(() => controller.abort(), 100);
    await assert.rejects(aborted, { name: 'AbortError' });
    hub.faults.stall = new Map();

    await assert.rejects(
      pullModel('test-org/nope', options(hub, dest)),
      expectCode('download_not_found', (e) => assert.match(e.message, /test-org\/nope at revision main/)),
    );
    await assert.rejects(pullModel(REPO, options(hub, dest, { revision: 'v9' })), expectCode('download_not_found'));

    hub.faults.missing = new Set(['vae_decoder/model.onnx']);
    await assert.rejects(
      pullModel(REPO, options(hub, dest)),
      expectCode('download_not_found', (e) => assert.match(e.message, /main: vae_decoder\/model\.onnx/)),
    );
    hub.faults.missing = new Set();

    const sizeDest = `${dest}-size`;
    hub.faults.listedSize = new Map([[WEIGHTS, (files.get(WEIGHTS)?.length ?? 0) + 10]]);
    await assert.rejects(pullModel(REPO, options(hub, sizeDest)), expectCode('download_size_mismatch'));
    hub.faults.listedSize = new Map();

    const shaDest = `${dest}-sha`;
    hub.faults.listedSha = new Map([[WEIGHTS, 'ab'.repeat(32)]]);
    await assert.rejects(
      pullModel(REPO, options(hub, shaDest)),
      expectCode('download_failed', (e) => assert.match(e.message, /sha256/)),
    );
    const left = await readdir(path.join(shaDest, 'unet'));
    assert.ok(!left.includes('weights.pb') && !left.includes('weights.pb.part'), `left: ${left.join(', ')}`);
  });
});

test('repos without the ONNX pipeline files and bad repo ids are refused', async () => {
  const pytorchOnly = new Map([...files].filter(([p]) => !p.endsWith('model.onnx')));
  const hub = new FakeHub(REPO, 'main', pytorchOnly);
  await hub.start();
  try {
    await assert.rejects(
      pullModel(REPO, options(hub, path.join(root, 'pt'))),
      expectCode('download_not_found', (e) => assert.match(e.message, /not a diffusers ONNX export/)),
    );
    await assert.rejects(pullModel('../etc', options(hub, path.join(root, 'pt'))), expectCode('invalid_field'));
  } finally {
    await hub.stop();
  }
});
