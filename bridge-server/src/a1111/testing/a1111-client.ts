/**
 * Test support: a real bridge on loopback with the demo models (and optionally test models in its
 * model folder), and an A1111 client that sends credentials the way A1111 clients do.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { decodeImage, readPngParameters, type RgbaImage } from '../../image/index.js';
import { startBridgeServer, type RunningBridge } from '../../server/index.js';
import { makeTestModel, type TestModelKind, type TestModelOptions } from '../../testmodels/index.js';

export interface A1111TestBridge {
  bridge: RunningBridge;
  configDir: string;
  modelsDir: string;
  post(route: string, body: unknown, auth?: string | null): Promise<{ status: number; json: Record<string, unknown>; headers: Headers }>;
  get(route: string, auth?: string | null): Promise<{ status: number; json: unknown; headers: Headers }>;
  stop(): Promise<void>;
}

export const TOKEN = 'a1111-test-token';

/** A1111's --api-auth style: user name anything, the bridge token as password. */
export const BASIC = `Basic ${Buffer.from(`artist:${TOKEN}`).toString('base64')}`;

export async function startA1111Bridge(
  options: { models?: ReadonlyArray<{ name: string; kind: TestModelKind; options?: TestModelOptions }>; dir?: string } = {},
): Promise<A1111TestBridge> {
  const dir = options.dir ?? (await mkdtemp(path.join(os.tmpdir(), 'lb-a1111-')));
  const configDir = path.join(dir, 'config');
  const modelsDir = path.join(dir, 'models');
  await mkdir(modelsDir, { recursive: true });
  for (const m of options.models ?? []) {
    await makeTestModel(m.kind, path.join(modelsDir, m.name), m.options).catch((err: unknown) => {
      if (!String(err).includes('EEXIST')) throw err;
    });
  }
  const bridge = await startBridgeServer({ port: 0, configDir, modelsDir, token: TOKEN, demo: true, threads: 1 });
  const headers = (auth: string | null | undefined): Record<string, string> => ({
    'content-type': 'application/json',
    ...(auth === null ? {} : { authorization: auth ?? BASIC }),
  });
  return {
    bridge,
    configDir,
    modelsDir,
    post: async (route, body, auth) => {
      const res = await fetch(`${bridge.url}${route}`, { method: 'POST', headers: headers(auth), body: typeof body === 'string' ? body : JSON.stringify(body) });
      return { status: res.status, json: (await res.json()) as Record<string, unknown>, headers: res.headers };
    },
    get: async (route, auth) => {
      const res = await fetch(`${bridge.url}${route}`, { headers: headers(auth) });
      return { status: res.status, json: (await res.json()) as unknown, headers: res.headers };
    },
    stop: async () => {
      await bridge.close();
      if (options.dir === undefined) await rm(dir, { recursive: true, force: true });
    },
  };
}

export function pngBytes(b64: string): Uint8Array {
  const buf = Buffer.from(b64, 'base64');
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

export async function decodeResult(b64: string): Promise<{ image: RgbaImage; parameters: string | null }> {
  const bytes = pngBytes(b64);
  return { image: await decodeImage(bytes), parameters: readPngParameters(bytes) };
}

/** A1111's own test request bodies (test/test_txt2img.py and test/test_img2img.py). */
export const SIMPLE_TXT2IMG = {
  batch_size: 1,
  cfg_scale: 7,
  denoising_strength: 0,
  enable_hr: false,
  eta: 0,
  firstphase_height: 0,
  firstphase_width: 0,
  height: 64,
  n_iter: 1,
  negative_prompt: '',
  prompt: 'example prompt',
  restore_faces: false,
  s_churn: 0,
  s_noise: 1,
  s_tmax: 0,
  s_tmin: 0,
  sampler_index: 'Euler a',
  seed: -1,
  seed_resize_from_h: -1,
  seed_resize_from_w: -1,
  steps: 3,
  styles: [],
  subseed: -1,
  subseed_strength: 0,
  tiling: false,
  width: 64,
} as const;

export function simpleImg2img(initImage: string): Record<string, unknown> {
  return {
    batch_size: 1,
    cfg_scale: 7,
    denoising_strength: 0.75,
    eta: 0,
    height: 64,
    include_init_images: false,
    init_images: [initImage],
    inpaint_full_res: false,
    inpaint_full_res_padding: 0,
    inpainting_fill: 0,
    inpainting_mask_invert: false,
    mask: null,
    mask_blur: 4,
    n_iter: 1,
    negative_prompt: '',
    override_settings: {},
    prompt: 'example prompt',
    resize_mode: 0,
    restore_faces: false,
    s_churn: 0,
    s_noise: 1,
    s_tmax: 0,
    s_tmin: 0,
    sampler_index: 'Euler a',
    seed: -1,
    seed_resize_from_h: -1,
    seed_resize_from_w: -1,
    steps: 3,
    styles: [],
    subseed: -1,
    subseed_strength: 0,
    tiling: false,
    width: 64,
  };
}
