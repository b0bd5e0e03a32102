/**
 * A local stand-in for the Hugging Face Hub for download tests: the tree API (paged), resolve URLs
 * that redirect large files to a "CDN" path, Range support, and switchable misbehaviour.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HubFaults {
  /** Cut the connection after this many body bytes, for the next `times` requests of the file. */
  drop?: Map<string, { after: number; times: number }>;
  /** Send this many body bytes, then go silent (connection left open), for the next `times` requests. */
  stall?: Map<string, { after: number; times: number }>;
  /** Answer 200 with the whole file even when a Range is asked. */
  ignoreRange?: boolean;
  /** Size to announce in the listing instead of the real one. */
  listedSize?: Map<string, number>;
  /** sha256 to announce in the listing instead of the real one. */
  listedSha?: Map<string, string>;
  /** Listed but answered with 404. */
  missing?: Set<string>;
}

export interface HubRequest {
  url: string;
  range: string | undefined;
  authorization: string | undefined;
}

const isLfs = (p: string): boolean => !p.endsWith('.json') && !p.endsWith('.txt');

export class FakeHub {
  readonly requests: HubRequest[] = [];
  faults: HubFaults = {};
  private server: http.Server | undefined;
  endpoint = '';

  constructor(
    readonly repo: string,
    readonly revision: string,
    readonly files: Map<string, Uint8Array>,
    /** Extra listing entries (e.g. hostile paths) served as-is. */
    readonly extraEntries: unknown[] = [],
  ) {}

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    this.endpoint = `http://127.0.0.1:${port}`;
    return this.endpoint;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  fileRequests(p: string): HubRequest[] {
    return this.requests.filter((r) => r.url.endsWith(`/${p}`));
  }

  private listing(): unknown[] {
    const entries: unknown[] = [];
    const dirs = new Set<string>();
    for (const [p, bytes] of this.files) {
      const dir = p.split('/').slice(0, -1).join('/');
      if (dir !== '' && !dirs.has(dir)) {
        dirs.add(dir);
        entries.push({ type: 'directory', path: dir, size: 0, oid: 'd'.repeat(40) });
      }
      const size = this.faults.listedSize?.get(p) ?? bytes.length;
      const sha = this.faults.listedSha?.get(p) ?? createHash('sha256').update(bytes).digest('hex');
      entries.push({
        type: 'file',
        path: p,
        size,
        oid: 'f'.repeat(40),
        ...(isLfs(p) ? { lfs: { oid: sha, size, pointerSize: 134 } } : {}),
      });
    }
    return [...entries, ...this.extraEntries];
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', this.endpoint);
    this.requests.push({ url: url.pathname, range: req.headers.range, authorization: req.headers.authorization });
    const treePrefix = `/api/models/${this.repo}/tree/${encodeURIComponent(this.revision)}`;
    if (url.pathname === treePrefix) {
      // Two pages, to exercise the Link header.
      const all = this.listing();
      const half = Math.ceil(all.length / 2);
      const second = url.searchParams.get('cursor') === '2';
      if (!second) res.setHeader('link', `<${this.endpoint}${treePrefix}?recursive=true&cursor=2>; rel="next"`);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(second ? all.slice(half) : all.slice(0, half)));
      return;
    }
    const resolvePrefix = `/${this.repo}/resolve/${encodeURIComponent(this.revision)}/`;
    if (url.pathname.startsWith(resolvePrefix)) {
      const p = decodeURIComponent(url.pathname.slice(resolvePrefix.length));
      if (isLfs(p) && this.files.has(p)) {
        res.writeHead(302, { location: `/cdn/${p}` });
        res.end();
        return;
      }
      this.serveFile(p, req, res);
      return;
    }
    if (url.pathname.startsWith('/cdn/')) {
      this.serveFile(decodeURIComponent(url.pathname.slice('/cdn/'.length)), req, res);
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end('{"error":"Repository not found"}');
  }

  private serveFile(p: string, req: http.IncomingMessage, res: http.ServerResponse): void {
    const bytes = this.files.get(p);
    if (bytes === undefined || this.faults.missing?.has(p)) {
      res.writeHead(404);
      res.end('Entry not found');
      return;
    }
    let start = 0;
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (range?.[1] !== undefined && this.faults.ignoreRange !== true) {
      start = Number(range[1]);
      if (start >= bytes.length) {
        res.writeHead(416, { 'content-range': `bytes */${bytes.length}` });
        res.end();
        return;
      }
      res.writeHead(206, {
        'content-length': bytes.length - start,
        'content-range': `bytes ${start}-${bytes.length - 1}/${bytes.length}`,
      });
    } else {
      res.writeHead(200, { 'content-length': bytes.length });
    }
    const body = bytes.subarray(start);
    const drop = this.faults.drop?.get(p);
    if (drop !== undefined && drop.times > 0 && drop.after < body.length) {
      drop.times--;
      res.write(body.subarray(0, drop.after), () => {
        // Give the bytes time to leave before the connection dies mid-body.
        setTimeout(() => res.socket?.destroy(), 20);
      });
      return;
    }
    const stall = this.faults.stall?.get(p);
    if (stall !== undefined && stall.times > 0 && stall.after < body.length) {
      stall.times--;
      res.write(body.subarray(0, stall.after));
      return;
    }
    res.end(body);
  }
}
