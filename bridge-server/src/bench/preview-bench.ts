import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseServerMessage, PROTOCOL_VERSION, type GenerateMessageInput } from '@latent-bridge/shared';
import { WebSocket, type RawData } from 'ws';
import { startBridgeServer } from '../server/index.js';
import { makeTestModel } from '../testmodels/index.js';
import { fmtMs, median, row, section } from './report.js';

/**
 * What step previews cost: the same 20-step tiny-random job through the real server over a real
 * WebSocket, without previews and with a preview every step (raw and JPEG), interleaved so that
 * machine noise falls on all three alike.
 */
export async function benchPreviews(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'lb-bench-preview-'));
  try {
    await makeTestModel('tiny-random', join(dir, 'models', 'tiny'), {});
    const server = await startBridgeServer({ port: 0, token: null, configDir: join(dir, 'config'), modelsDir: join(dir, 'models'), demo: false });
    const ws = new WebSocket(server.wsUrl, { perMessageDeflate: false });
    await once(ws, 'open');
    const inbox: { type: string; id?: string }[] = [];
    let wake: () => void = () => undefined;
    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (!isBinary) inbox.push(parseServerMessage(JSON.parse(String(data))) as { type: string; id?: string });
      wake();
    });
    const waitFor = async (match: (m: { type: string; id?: string }) => boolean) => {
      for (;;) {
        const at = inbox.findIndex(match);
        if (at >= 0) return inbox.splice(0, at + 1).at(-1);
        await new Promise<void>((r) => (wake = r));
      }
    };
    ws.send(JSON.stringify({ type: 'hello', protocol: PROTOCOL_VERSION, client: 'bench/1' }));
    await waitFor((m) => m.type === 'welcome');

    let n = 0;
    const job = async (preview: GenerateMessageInput['preview'], previewFormat: 'raw-rgba' | 'jpeg'): Promise<number> => {
      const id = `bench-${++n}`;
      const message: GenerateMessageInput = {
        type: 'generate', id, mode: 'txt2img', model: 'tiny', prompt: 'a lighthouse at dusk', negative: 'blurry',
        steps: 20, guidance: 7.5, scheduler: 'euler', seed: 7, width: 512, height: 512, preview, previewFormat,
      };
      const start = performance.now();
      ws.send(JSON.stringify(message));
      const end = await waitFor((m) => (m.type === 'done' || m.type === 'error') && m.id === id);
      if (end?.type !== 'done') throw new Error(`bench job failed: ${JSON.stringify(end)}`);
      return performance.now() - start;
    };
    await job(false, 'raw-rgba'); // warm-up: loads the model
    const off: number[] = [];
    const raw: number[] = [];
    const jpeg: number[] = [];
    for (let i = 0; i < 3; i++) {
      off.push(await job(false, 'raw-rgba'));
      raw.push(await job(true, 'raw-rgba'));
      jpeg.push(await job(true, 'jpeg'));
    }
    ws.close();
    await server.close();

    section('previews: tiny-random 512×512, 20 steps, through the server on loopback (median of 3)');
    const base = median(off);
    row('job without previews', fmtMs(base));
    row('preview every step, raw RGBA', `${fmtMs(median(raw))} (+${((100 * (median(raw) - base)) / base).toFixed(1)} %, target ≤ 5 %)`);
    row('preview every step, JPEG', `${fmtMs(median(jpeg))} (+${((100 * (median(jpeg) - base)) / base).toFixed(1)} %, target ≤ 5 %)`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
