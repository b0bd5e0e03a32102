import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * A real redis-server (Debian's package) and real `latent-bridge worker` processes for the queue
 * tests and the bench. Redis runs on a free loopback port in a temp dir, with an fsync'd append-only
 * file, so a restart keeps every job as a production Redis set up for BullMQ would.
 */

const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bridge-server/dist/cli/main.js');

/** Debian's redis-server (or $REDIS_SERVER); undefined when there is none. */
export function redisServerPath(): string | undefined {
  return [process.env['REDIS_SERVER'], '/usr/bin/redis-server', '/usr/local/bin/redis-server'].find((p) => p !== undefined && p !== '' && existsSync(p));
}

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  server.close();
  await once(server, 'close');
  return port;
}

export class TestRedis {
  private process: ChildProcess | undefined;

  private constructor(
    readonly port: number,
    readonly dir: string,
    private readonly binary: string,
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(): Promise<TestRedis> {
    const binary = redisServerPath();
    if (binary === undefined) throw new Error('redis-server is not installed (Debian: apt-get install redis-server; .ci/run installs it)');
    const redis = new TestRedis(await freePort(), await mkdtemp(path.join(os.tmpdir(), 'lb-redis-')), binary);
    await redis.launch();
    return redis;
  }

  private async launch(): Promise<void> {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', '', '--daemonize', 'no'];
    // BullMQ asks for this; without it Redis may evict job keys under memory pressure.
    args.push('--maxmemory-policy', 'noeviction');
    this.process = spawn(this.binary, args, { stdio: ['ignore', 'ignore', 'inherit'] });
    const deadline = Date.now() + 15_000;
    while (!(await ping(this.port))) {
      if (Date.now() > deadline) throw new Error(`redis-server did not answer on port ${this.port}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Stops Redis (SIGTERM, as a service restart does) and starts it again on the same port and data. */
  async restart(downMs = 500): Promise<void> {
    await this.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, downMs));
    await this.launch();
  }

  async kill(signal: NodeJS.Signals): Promise<void> {
    const p = this.process;
    if (p === undefined || p.exitCode !== null) return;
    const exited = once(p, 'exit');
    p.kill(signal);
    await exited;
  }

  async stop(): Promise<void> {
    await this.kill('SIGTERM');
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** RESP PING over a plain socket: true when Redis answers +PONG. */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('error', () => done(false));
    socket.connect(port, '127.0.0.1', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}

/** A `latent-bridge worker` child process, ready when it has said so on stdout. */
export class WorkerProcess {
  readonly stderr: string[] = [];
  healthUrl = '';
  id = '';

  private constructor(readonly child: ChildProcess) {}

  static async start(queueUrl: string, configDir: string, extra: string[] = []): Promise<WorkerProcess> {
    const args = [CLI, 'worker', '--queue', queueUrl, '--config-dir', configDir, '--demo', '--threads', '1', '--health-port', '0', '--lock-ms', '2000', '--stalled-ms', '500', ...extra];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const worker = new WorkerProcess(child);
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => worker.stderr.push(chunk));
    let out = '';
    await new Promise<void>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`worker exited (${code}) before it was ready: ${worker.stderr.join('')}`)));
      child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
        out += chunk;
        const health = /health on (\S+)/.exec(out);
        const ready = /worker ready (\S+)/.exec(out);
        if (health?.[1] !== undefined) worker.healthUrl = health[1];
        if (ready?.[1] !== undefined) {
          worker.id = ready[1];
          resolve();
        }
      });
    });
    child.removeAllListeners('exit');
    return worker;
  }

  get log(): string {
    return this.stderr.join('');
  }

  async health(): Promise<Record<string, unknown>> {
    const res = await fetch(this.healthUrl);
    return (await res.json()) as Record<string, unknown>;
  }

  /** Sends `signal` and waits for the process to end. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.child.exitCode;
    const exited = once(this.child, 'exit');
    this.child.kill(signal);
    const [code] = (await exited) as [number | null];
    return code;
  }
}

/** A queue front in a process of its own (so a test can kill it outright), via the library API. */
export class FrontProcess {
  private constructor(
    readonly child: ChildProcess,
    readonly wsUrl: string,
  ) {}

  static async start(queueUrl: string, configDir: string, frontTtlMs: number): Promise<FrontProcess> {
    const options = { queue: queueUrl, port: 0, token: null, configDir, queueTuning: { frontTtlMs } };
    const script = `const m = await import('@latent-bridge/bridge-server');
const b = await m.startBridgeServer(${JSON.stringify(options)});
console.log('front at ' + b.wsUrl);`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'], cwd: path.dirname(fileURLToPath(import.meta.url)) });
    const wsUrl = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.once('exit', (code) => reject(new Error(`front exited (${code})`)));
      child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
        out += chunk;
        const m = /front at (\S+)/.exec(out);
        if (m?.[1] !== undefined) resolve(m[1]);
      });
    });
    child.removeAllListeners('exit');
    return new FrontProcess(child, wsUrl);
  }

  async kill(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = once(this.child, 'exit');
    this.child.kill('SIGKILL');
    await exited;
  }
}
