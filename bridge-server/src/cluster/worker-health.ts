import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HealthServer {
  url: string;
  close(): Promise<void>;
}

/**
 * A worker's /health: plain JSON for load balancers and people, no token (it says nothing a
 * client could use) and nothing else on the port.
 */
export async function startHealthServer(host: string, port: number, report: () => Promise<Record<string, unknown>>): Promise<HealthServer> {
  const server = createServer((req, res) => {
    const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (req.method !== 'GET' || pathname !== '/health') {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ code: 'invalid_field', message: 'Only GET /health lives here.', field: 'path' }));
      return;
    }
    report().then(
      (body) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body)),
      (err: unknown) => res.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: false, message: String(err) })),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const hostInUrl = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${hostInUrl}:${address.port}/health`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
