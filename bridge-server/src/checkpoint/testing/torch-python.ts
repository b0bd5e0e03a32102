/**
 * Test support (never imported by production code): runs Python scripts with a Python that has
 * torch, for reference data made by the real thing. Scripts come in as source text; outputs of
 * a script that writes files are cached under the repository's git-ignored `.cache/torch/`,
 * keyed by script, arguments and torch version, so reruns do not pay for torch again.
 *
 *   const torch = await requireTorch(t);        // skips (or fails under LATENT_BRIDGE_REQUIRE_TORCH=1)
 *   if (torch === undefined) return;
 *   const dir = await cachedTorchOutputs('my-fixture', PY_SCRIPT);   // script gets the folder as argv[1]
 *   const { stdout } = await runTorchScript('import torch; print(torch.__version__)');
 *
 * The Python is $LATENT_BRIDGE_TORCH_PYTHON if set, else /usr/bin/python3 (Debian's, with torch),
 * else python3 on PATH.
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';

export interface TorchPython {
  /** The interpreter that imports torch. */
  readonly python: string;
  readonly torchVersion: string;
  readonly numpyVersion: string | undefined;
}

export interface ScriptResult {
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  readonly cwd?: string;
  /** Default 10 minutes. */
  readonly timeoutMs?: number;
  readonly env?: Readonly<Record<string, string>>;
}

/** Runs `python - args...` with `script` on stdin; rejects with stderr when it exits non-zero. */
export function runPython(python: string, script: string, args: readonly string[] = [], options: RunOptions = {}): Promise<ScriptResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(python, ['-', ...args], {
      cwd: options.cwd,
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: options.timeoutMs ?? 600_000,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8');
      if (code === 0) resolve({ stdout, stderr });
      else reject(new Error(`${python} exited with ${code ?? signal}:\n${stderr.slice(-4000)}`));
    });
    child.stdin.end(script);
  });
}

function candidates(): string[] {
  const env = process.env['LATENT_BRIDGE_TORCH_PYTHON'];
  return env !== undefined && env !== '' ? [env] : ['/usr/bin/python3', 'python3'];
}

let found: Promise<TorchPython | string> | undefined;

/** The torch Python, or a string saying why there is none. Probed once per process. */
export function probeTorch(): Promise<TorchPython | string> {
  found ??= (async () => {
    const reasons: string[] = [];
    for (const python of candidates()) {
      try {
        const { stdout } = await runPython(
          python,
          'import json, torch\ntry:\n import numpy; nv = numpy.__version__\nexcept ImportError:\n nv = None\nprint(json.dumps([torch.__version__, nv]))\n',
          [],
          { timeoutMs: 120_000 },
        );
        const [torchVersion, numpyVersion] = JSON.parse(stdout.trim().split('\n').pop() ?? '[]') as [string, string | null];
        return { python, torchVersion, numpyVersion: numpyVersion ?? undefined };
      } catch (err) {
        reasons.push(`${python}: ${(err instanceof Error ? err.message : String(err)).split('\n').filter(Boolean).pop() ?? 'failed'}`);
      }
    }
    return `no Python with torch (${reasons.join('; ')})`;
  })();
  return found;
}

/** The torch Python, or undefined when there is none. */
export async function findTorchPython(): Promise<TorchPython | undefined> {
  const p = await probeTorch();
  return typeof p === 'string' ? undefined : p;
}

/**
 * For tests that need torch: the torch Python, or undefined after skipping the test with the
 * reason printed. With LATENT_BRIDGE_REQUIRE_TORCH=1 a missing torch fails the test instead.
 */
export async function requireTorch(t: TestContext): Promise<TorchPython | undefined> {
  const p = await probeTorch();
  if (typeof p !== 'string') return p;
  const reason = `torch reference unavailable: ${p}`;
  if (process.env['LATENT_BRIDGE_REQUIRE_TORCH'] === '1') throw new Error(`${reason} (LATENT_BRIDGE_REQUIRE_TORCH=1)`);
  console.log(`# skipping "${t.name}": ${reason}`);
  t.skip(reason);
  return undefined;
}

/** Runs a script with the torch Python (throws if there is none). */
export async function runTorchScript(script: string, args: readonly string[] = [], options: RunOptions = {}): Promise<ScriptResult> {
  const p = await probeTorch();
  if (typeof p === 'string') throw new Error(p);
  return runPython(p.python, script, args, options);
}

/** The repository root (the folder whose package.json names the latent-bridge workspace). */
export function repoRoot(): string {
  for (const start of [dirname(fileURLToPath(import.meta.url)), process.cwd()]) {
    for (let dir = start; ; dir = dirname(dir)) {
      const pkg = join(dir, 'package.json');
      if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: unknown }).name === 'latent-bridge') return dir;
      if (dirname(dir) === dir) break;
    }
  }
  throw new Error('cannot find the latent-bridge repository root');
}

/** `<repo>/.cache/<parts...>` (git-ignored). */
export function cacheDir(...parts: string[]): string {
  return join(repoRoot(), '.cache', ...parts);
}

/**
 * Runs `script` once with an empty output folder as argv[1] (then `args`) and returns that
 * folder; later calls with the same script, arguments and torch return it without running.
 * The folder appears only complete (written beside, then renamed), so concurrent test
 * processes never see half an output.
 */
export async function cachedTorchOutputs(name: string, script: string, args: readonly string[] = []): Promise<string> {
  const p = await probeTorch();
  if (typeof p === 'string') throw new Error(p);
  const key = createHash('sha256').update(JSON.stringify([script, args, p.python, p.torchVersion, p.numpyVersion ?? null])).digest('hex').slice(0, 16);
  const dir = cacheDir('torch', `${name}-${key}`);
  if (existsSync(join(dir, '.complete'))) return dir;
  const temp = `${dir}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  await mkdir(temp, { recursive: true });
  try {
    await runPython(p.python, script, [temp, ...args]);
    await mkdir(join(temp, '.complete'));
    await rename(temp, dir).catch(async (err: unknown) => {
      // Another process finished first: theirs is as good as ours.
      if (!existsSync(join(dir, '.complete'))) throw err;
    });
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
  return dir;
}
