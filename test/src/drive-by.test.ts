import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { startBridgeServer, type RunningBridge } from '@latent-bridge/bridge-server';

// A drive-by attack: the user visits a web page while the bridge runs. WebSockets have no CORS, so
// nothing but the bridge's own Origin check stops that page from driving it. A real headless
// Chromium loads a page from another origin (a second loopback port) that tries the WebSocket and
// the HTTP API; the page reports what it could do to its own server. A bridge that allows the
// page's origin is the control: the same page then gets in, so the test can tell the two apart.

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
let dir: string;
let chromium: string | undefined;
let skipReason: string | undefined;

interface PageReport {
  wsOpened: boolean;
  welcome: boolean;
  wsError: string;
  httpStatus: string;
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lb-drive-by-'));
  try {
    chromium = execFileSync('bash', [join(root, 'scripts/ensure-chromium.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  } catch {
    skipReason = 'no Chromium on this machine and it cannot be installed (not root on Debian); CI installs it';
  }
});

after(async () => {
  // Chromium's helper processes may still be flushing the profile for a moment after the kill.
  await rm(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
});

function attackPage(bridge: RunningBridge): string {
  const script = `
    const report = { wsOpened: false, welcome: false, wsError: '', httpStatus: '' };
    const send = () => fetch('/report', { method: 'POST', body: JSON.stringify(report) });
    async function run() {
      try {
        const r = await fetch(${JSON.stringify(`${bridge.url}/v1/models`)}, { headers: { Authorization: 'Bearer ${bridge.token ?? ''}' } });
        report.httpStatus = String(r.status);
      } catch (e) { report.httpStatus = 'blocked: ' + e.message; }
      await new Promise((done) => {
        const ws = new WebSocket(${JSON.stringify(bridge.wsUrl)});
        ws.onopen = () => {
          report.wsOpened = true;
          ws.send(JSON.stringify({ type: 'hello', protocol: 1, client: 'evil-page', token: ${JSON.stringify(bridge.token)} }));
        };
        ws.onmessage = (e) => { if (JSON.parse(e.data).type === 'welcome') report.welcome = true; ws.close(); };
        ws.onerror = () => { report.wsError = 'error'; };
        ws.onclose = (e) => { report.wsError += ' close ' + e.code; done(); };
        setTimeout(done, 5000);
      });
      await send();
    }
    run();`;
  return `<!doctype html><html><body><h1>an innocent page</h1><script>${script}</script></body></html>`;
}

/**
 * Serves the attack page from its own loopback origin, starts a bridge that knows that origin (so a
 * control can allow it), opens the page in headless Chromium and returns what the page reports.
 */
async function attack(makeBridge: (pageOrigin: string) => Promise<RunningBridge>): Promise<{ report: PageReport; connections: number }> {
  let bridge: RunningBridge | undefined;
  let resolveReport: (r: PageReport) => void = () => undefined;
  const reported = new Promise<PageReport>((r) => (resolveReport = r));
  const site: Server = createServer((req, res) => {
    if (req.method === 'POST' && req.url === '/report') {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        res.end('ok');
        resolveReport(JSON.parse(body) as PageReport);
      });
      return;
    }
    res.setHeader('Content-Type', 'text/html');
    res.end(bridge ? attackPage(bridge) : '');
  });
  site.listen(0, '127.0.0.1');
  await once(site, 'listening');
  const origin = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
  bridge = await makeBridge(origin);
  const browser = spawn(
    chromium as string,
    ['--headless=new', '--no-sandbox', '--disable-gpu', '--no-first-run', `--user-data-dir=${join(dir, `profile-${Date.now()}`)}`, `${origin}/`],
    // Its own process group, so the renderer and GPU helpers die with it.
    { stdio: 'ignore', detached: true },
  );
  const exited = once(browser, 'exit');
  try {
    const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('the page never reported')), 60_000).unref());
    const report = await Promise.race([reported, timeout]);
    return { report, connections: bridge.stats().connections };
  } finally {
    if (browser.pid !== undefined) process.kill(-browser.pid, 'SIGKILL');
    await exited;
    site.close();
    await bridge.close();
  }
}

const bridgeOptions = () => ({ port: 0, token: 'drive-by-token', configDir: join(dir, 'config'), modelsDir: join(dir, 'models'), demo: true });

test('a web page in a real browser cannot drive the bridge over WebSocket or HTTP', { timeout: 180_000 }, async (t) => {
  if (skipReason) return t.skip(skipReason);
  const { report, connections } = await attack(() => startBridgeServer(bridgeOptions()));
  assert.equal(report.wsOpened, false, `the WebSocket upgrade must be refused: ${JSON.stringify(report)}`);
  assert.equal(report.welcome, false);
  assert.match(report.wsError, /close 1006/);
  // The HTTP API refuses the origin too (the browser may also hide the answer behind CORS).
  assert.notEqual(report.httpStatus, '200', `HTTP from the page must not succeed: ${report.httpStatus}`);
  assert.equal(connections, 0);
});

test('control: the same page from an allowed origin gets in, so the refusal above is the policy', { timeout: 180_000 }, async (t) => {
  if (skipReason) return t.skip(skipReason);
  const { report } = await attack((origin) => startBridgeServer({ ...bridgeOptions(), allowOrigins: [origin] }));
  assert.equal(report.wsOpened, true, `an allowed origin connects: ${JSON.stringify(report)}`);
  assert.equal(report.welcome, true);
});
