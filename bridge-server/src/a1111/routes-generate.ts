/**
 * POST /sdapi/v1/txt2img and /sdapi/v1/img2img: A1111's request models read field by field, the
 * checks that must fail before queueing, the job in the bridge's queue, and A1111's response:
 * { images: [base64 PNG with its "parameters" text], parameters: the request with defaults,
 * info: Processed.js() as a JSON string }.
 */
import { BridgeError } from '@latent-bridge/shared';
import type { ModelInfo } from '../models/index.js';
import { resolveJobLoras, type JobLoras } from '../server/job-loras.js';
import { applyInfotext } from './apply-infotext.js';
import { httpException } from './errors.js';
import { Fields, readModel, type FieldValue } from './fields.js';
import { runA1111Job } from './jobs.js';
import type { OptionsView } from './options.js';
import { commonParams, overrideSettings, type CommonParams } from './processing/params.js';
import { checkRunLimits } from './processing/common.js';
import { pipelineLimits } from '../server/pipeline-entry.js';
import type { RunContext } from './processing/common.js';
import { runImg2img, type Img2ImgParams } from './processing/img2img.js';
import type { Processed } from './processing/processed.js';
import { runSdUpscale, sdUpscaleArgs, SD_UPSCALE_TITLE } from './processing/sd-upscale.js';
import { checkHires, hiresSampler, runTxt2img, type HiresParams } from './processing/txt2img.js';
import { pythonJsonDumps } from './python-json.js';
import { IMG2IMG_FIELDS, TXT2IMG_FIELDS } from './request-models.js';
import { decodeA1111Image, pngBase64, type A1111Services } from './services.js';
import type { A1111Remote, GenerationResponse } from './remote.js';
import { saveOutputs, writeOutputs } from './save-outputs.js';
import { tiledModelInfo } from './tiling/tiled-model.js';

export type { GenerationResponse } from './remote.js';

/** What a route checked and resolved before it runs (locally, or on a queue front's worker). */
interface Checked {
  f: Fields;
  view: OptionsView;
  overrides: Record<string, FieldValue>;
  c: CommonParams;
}

/** The request read against its model, with the infotext applied and the job's settings view. */
async function readRequest(svc: A1111Services, body: unknown, fields: typeof TXT2IMG_FIELDS): Promise<{ values: Record<string, FieldValue>; f: Fields; view: OptionsView; overrides: Record<string, FieldValue> }> {
  const values = readModel(body, fields);
  const store = await svc.settings();
  const sent = new Set(typeof body === 'object' && body !== null ? Object.keys(body) : []);
  applyInfotext(values, sent, fields, store.view());
  const f = new Fields(values);
  const overrides = overrideSettings(f);
  return { values, f, view: store.view(overrides), overrides };
}

/** What the job runs on: the checkpoint, or its circular-padding copy for tiling. */
async function jobModel(svc: A1111Services, view: OptionsView, tiling: boolean): Promise<{ info: ModelInfo; name: string; hash: string | undefined; title: string }> {
  const cp = await svc.checkpoint(view);
  const info = tiling ? await tiledModelInfo(cp.info) : cp.info;
  return { info, name: cp.model_name, hash: cp.hash ?? undefined, title: cp.title };
}

async function run(
  svc: A1111Services,
  gone: AbortSignal,
  view: OptionsView,
  c: CommonParams,
  jobName: string,
  needsEncoder: boolean,
  work: (ctx: RunContext, prompts: { prompt: string; negative: string }) => Promise<Processed>,
): Promise<Processed> {
  const model = await jobModel(svc, view, c.tiling);
  if (needsEncoder && !model.info.hasVaeEncoder) throw httpException(422, `Model "${model.name}" has no VAE encoder, which img2img needs.`);
  const networks = await jobNetworks(svc, model.info, c);
  let counted = false;
  try {
    return await runA1111Job({
      core: svc.core,
      state: svc.state,
      model: model.info,
      ...(networks.loras !== undefined ? { loras: networks.loras } : {}),
      prompts: networks.prompts,
      modelName: model.name,
      modelHash: model.hash,
      options: view,
      jobName,
      clientGone: gone,
      onQueued: () => {
        counted = true;
        svc.waiting++;
      },
      work: (ctx) => {
        if (counted) {
          counted = false;
          svc.waiting--;
        }
        return work(ctx, networks.prompts);
      },
    });
  } finally {
    if (counted) svc.waiting--;
  }
}

/**
 * The LoRAs the prompts' <lora:…> tags name, from the bridge's LoRA folder, and the prompts CLIP
 * gets (without the tags). An unknown LoRA is refused as this server refuses what it lacks.
 */
async function jobNetworks(svc: A1111Services, info: ModelInfo, c: CommonParams): Promise<{ loras: JobLoras | undefined; prompts: { prompt: string; negative: string } }> {
  try {
    const r = await resolveJobLoras(svc.core.loras, info, { prompt: c.prompt, negative: c.negative });
    return { loras: r.loras, prompts: { prompt: r.prompt, negative: r.negative } };
  } catch (err) {
    if (err instanceof BridgeError && err.code === 'model_not_found') {
      const name = /no LoRA "([^"]*)"/.exec(err.message)?.[1] ?? '';
      throw httpException(422, `LoRA '${name}' not found: ${err.message}`);
    }
    if (err instanceof BridgeError) throw httpException(422, err.message);
    throw err;
  }
}

async function respond(svc: A1111Services, processed: Processed, echo: Record<string, FieldValue>, c: CommonParams, view: OptionsView, mode: 'txt2img' | 'img2img'): Promise<GenerationResponse> {
  const entries = processed.images.map((_, i) => [{ keyword: 'parameters', text: processed.infotexts[i] ?? processed.infotexts[0] ?? '' }]);
  if (c.saveImages) await saveOutputs(svc.configDir, view, mode, processed, entries);
  const images = c.sendImages || svc.keepImages ? await Promise.all(processed.images.map((img, i) => pngBase64(img, entries[i] ?? [], view))) : [];
  return { images, parameters: echo, info: pythonJsonDumps(processed.js) };
}

/**
 * A queue front's run: checked here as a single bridge checks it, then the request itself on a
 * worker holding its checkpoint, pinned to the checkpoint resolved here; the answer is the
 * worker's, byte for byte. save_images writes on the front, where a single bridge would write.
 */
async function runRemote(svc: A1111Services, remote: A1111Remote, route: 'txt2img' | 'img2img', body: unknown, k: Checked, gone: AbortSignal, client: string): Promise<GenerationResponse> {
  const cp = await svc.checkpoint(k.view);
  if (route === 'img2img' && !cp.info.hasVaeEncoder) throw httpException(422, `Model "${cp.model_name}" has no VAE encoder, which img2img needs.`);
  const store = await svc.settings();
  let waiting = true;
  svc.waiting++;
  const stopWaiting = (): void => {
    if (!waiting) return;
    waiting = false;
    svc.waiting--;
  };
  let response: GenerationResponse;
  try {
    response = await remote.run({
      route,
      body,
      model: cp.model_name,
      settings: { ...store.all(), sd_model_checkpoint: cp.model_name },
      styles: await svc.styles(),
      keepImages: k.c.saveImages,
      client,
      state: svc.state,
      gone,
      onStarted: stopWaiting,
    });
  } finally {
    stopWaiting();
  }
  await keepOverrides(svc, k.f, k.overrides);
  if (k.c.saveImages) {
    const seeds = (JSON.parse(response.info) as { all_seeds?: number[] }).all_seeds ?? [];
    await writeOutputs(svc.configDir, k.view, route, response.images.map((b64) => new Uint8Array(Buffer.from(b64, 'base64'))), seeds);
  }
  return k.c.sendImages ? response : { ...response, images: [] };
}

/** A1111's override_settings_restore_afterwards = false keeps the overrides as the settings. */
async function keepOverrides(svc: A1111Services, f: Fields, overrides: Record<string, FieldValue>): Promise<void> {
  if (f.bool('override_settings_restore_afterwards', true) || Object.keys(overrides).length === 0) return;
  await (await svc.settings()).set(overrides, false);
}

/** `client`: who asks (their address), for a queue front's fairness. */
export async function txt2imgRoute(svc: A1111Services, body: unknown, gone: AbortSignal, client = 'local'): Promise<GenerationResponse> {
  const { values, f, view, overrides } = await readRequest(svc, body, TXT2IMG_FIELDS);
  const c = commonParams(f, view, await svc.styles());
  const script = f.optStr('script_name');
  if (script !== undefined && script !== '') throw httpException(422, `Script '${script}' not found`);
  const hrCheckpoint = f.optStr('hr_checkpoint_name');
  if (hrCheckpoint !== undefined && hrCheckpoint !== '' && hrCheckpoint !== 'Use same checkpoint') {
    throw httpException(422, 'A separate hires checkpoint (hr_checkpoint_name) is not supported on this server.');
  }
  const hrSamplerName = f.optStr('hr_sampler_name');
  const hr: HiresParams = {
    enabled: f.bool('enable_hr', false),
    denoisingStrength: f.num('denoising_strength', 0.75),
    scale: f.num('hr_scale', 2),
    upscaler: f.optStr('hr_upscaler'),
    secondPassSteps: f.num('hr_second_pass_steps', 0),
    resizeX: f.num('hr_resize_x', 0),
    resizeY: f.num('hr_resize_y', 0),
    sampler: hiresSampler(hrSamplerName, f.optStr('hr_scheduler'), c.sampler),
    samplerName: hrSamplerName === 'Use same sampler' ? undefined : hrSamplerName,
    prompt: f.str('hr_prompt', ''),
    negative: f.str('hr_negative_prompt', ''),
  };
  checkHires(hr);
  const limits = pipelineLimits(svc.core.limits);
  checkRunLimits(limits, Math.floor(c.width / 8) * 8, Math.floor(c.height / 8) * 8, c.steps, c.batchSize);
  if (hr.enabled) checkRunLimits(limits, Math.trunc(c.width * hr.scale) || c.width, Math.trunc(c.height * hr.scale) || c.height, hr.secondPassSteps || c.steps, c.batchSize);
  const fw = f.num('firstphase_width', 0);
  const fh = f.num('firstphase_height', 0);
  const common = hr.enabled && (fw !== 0 || fh !== 0) ? { ...c, width: fw, height: fh } : c;
  if (svc.remote !== undefined) return runRemote(svc, svc.remote, 'txt2img', body, { f, view, overrides, c: common }, gone, client);
  const processed = await run(svc, gone, view, common, 'scripts_txt2img', false, (ctx, p) => runTxt2img(ctx, { ...common, clip: p }, hr));
  await keepOverrides(svc, f, overrides);
  return respond(svc, processed, values, common, view, 'txt2img');
}

export async function img2imgRoute(svc: A1111Services, body: unknown, gone: AbortSignal, client = 'local'): Promise<GenerationResponse> {
  const { values, f, view, overrides } = await readRequest(svc, body, IMG2IMG_FIELDS);
  const init = f.list('init_images');
  if (values['init_images'] === null || init.length === 0) throw httpException(404, 'Init image not found');
  const maxPixels = svc.core.limits.maxPixels * 16;
  const maskValue = f.optStr('mask');
  const mask = maskValue ? (await decodeA1111Image(maskValue, maxPixels, 'mask')).image : undefined;
  const c = commonParams(f, view, await svc.styles());
  const script = f.optStr('script_name');
  const sdUpscale = script !== undefined && script !== '' ? script.toLowerCase() === SD_UPSCALE_TITLE.toLowerCase() : false;
  if (script !== undefined && script !== '' && !sdUpscale) throw httpException(422, `Script '${script}' not found`);
  const initImages = await Promise.all(init.map(async (v) => (await decodeA1111Image(typeof v === 'string' ? v : '', maxPixels, 'init_images')).image));
  const blur = f.optNum('mask_blur');
  const a: Img2ImgParams = {
    initImages,
    mask,
    resizeMode: f.num('resize_mode', 0),
    denoisingStrength: f.num('denoising_strength', 0.75),
    maskBlurX: blur ?? f.num('mask_blur_x', 4),
    maskBlurY: blur ?? f.num('mask_blur_y', 4),
    maskRound: f.bool('mask_round', true),
    inpaintingFill: f.num('inpainting_fill', 0),
    inpaintFullRes: f.bool('inpaint_full_res', true),
    inpaintFullResPadding: f.num('inpaint_full_res_padding', 0),
    inpaintingMaskInvert: f.num('inpainting_mask_invert', 0) !== 0,
    initialNoiseMultiplier: f.optNum('initial_noise_multiplier'),
  };
  if (![0, 1, 2, 3].includes(a.resizeMode)) throw httpException(422, `resize_mode: must be 0, 1, 2 or 3, got ${a.resizeMode}`);
  if (![0, 1, 2, 3].includes(a.inpaintingFill)) throw httpException(422, `inpainting_fill: must be 0, 1, 2 or 3, got ${a.inpaintingFill}`);
  const upscale = sdUpscale ? sdUpscaleArgs(f.list('script_args')) : undefined;
  checkRunLimits(pipelineLimits(svc.core.limits), Math.floor(c.width / 8) * 8, Math.floor(c.height / 8) * 8, c.steps, Math.max(c.batchSize, initImages.length));
  if (svc.remote !== undefined) return runRemote(svc, svc.remote, 'img2img', body, { f, view, overrides, c }, gone, client);
  const processed = await run(svc, gone, view, c, 'scripts_img2img', true, (ctx, p) => (upscale ? runSdUpscale(ctx, { ...c, clip: p }, a, upscale) : runImg2img(ctx, { ...c, clip: p }, a)));
  await keepOverrides(svc, f, overrides);
  const echo = f.bool('include_init_images', false) ? values : { ...values, init_images: null, mask: null };
  return respond(svc, processed, echo, c, view, 'img2img');
}
