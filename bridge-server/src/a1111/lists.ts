/**
 * A1111's read-only lists with what this bridge really has: its models, the samplers and schedule
 * types it runs, the upscalers it has (None, Lanczos, Nearest and the latent modes), its styles,
 * its LoRA and embeddings folders, and empty lists where it has nothing yet (VAEs, hypernetworks,
 * face restorers, Real-ESRGAN).
 */
import os from 'node:os';
import { SAMPLERS, SCHEDULES } from './samplers.js';
import { IMAGE_UPSCALERS } from './processing/image-ops.js';
import { LATENT_UPSCALE_MODES } from './processing/latent-resize.js';
import { SD_UPSCALE_TITLE } from './processing/sd-upscale.js';
import type { A1111Services } from './services.js';
import { listCheckpoints } from './checkpoints.js';

export function samplers(): unknown[] {
  return SAMPLERS.map((s) => ({ name: s.name, aliases: [...s.aliases], options: { ...s.options } }));
}

export function schedulers(): unknown[] {
  return SCHEDULES.map((s) => ({ name: s.name, label: s.label, aliases: s.aliases, default_rho: s.default_rho, need_inner_model: s.need_inner_model }));
}

export function upscalers(): unknown[] {
  return IMAGE_UPSCALERS.map((name) => ({ name, model_name: null, model_path: null, model_url: null, scale: 4 }));
}

export function latentUpscaleModes(): unknown[] {
  return Object.keys(LATENT_UPSCALE_MODES).map((name) => ({ name }));
}

export async function sdModels(svc: A1111Services): Promise<unknown[]> {
  return (await listCheckpoints(svc.core)).map(({ info: _info, file: _file, ...item }) => item);
}

export async function promptStyles(svc: A1111Services): Promise<unknown[]> {
  return (await svc.styles()).map((s) => ({ name: s.name, prompt: s.prompt, negative_prompt: s.negative_prompt }));
}

/** /scripts: A1111 lists script names (lower-case titles) per tab. */
export function scripts(): { txt2img: string[]; img2img: string[] } {
  return { txt2img: [], img2img: [SD_UPSCALE_TITLE.toLowerCase()] };
}

/** /script-info: the SD upscale script's arguments as its UI declares them. */
export function scriptInfo(): unknown[] {
  return [
    {
      name: SD_UPSCALE_TITLE.toLowerCase(),
      is_alwayson: false,
      is_img2img: true,
      args: [
        { label: null, value: '<p style="margin-bottom:0.75em">Will upscale the image by the selected scale factor; use width and height sliders to set tile size</p>', minimum: null, maximum: null, step: null, choices: null },
        { label: 'Tile overlap', value: 64, minimum: 0, maximum: 256, step: 16, choices: null },
        { label: 'Upscaler', value: 'None', minimum: null, maximum: null, step: null, choices: [...IMAGE_UPSCALERS] },
        { label: 'Scale Factor', value: 2, minimum: 0, maximum: 4, step: 1, choices: null },
      ],
    },
  ];
}

/** /cmd-flags: the A1111 flags that describe this bridge; the rest as a default A1111 launch has them. */
export function cmdFlags(svc: A1111Services, port: number | undefined): Record<string, unknown> {
  return {
    api: true,
    nowebui: true,
    api_auth: svc.token === null ? null : '<token>',
    api_log: false,
    api_server_stop: false,
    listen: false,
    port: port ?? null,
    data_dir: svc.configDir ?? null,
    styles_file: svc.stylesFile() === undefined ? [] : [svc.stylesFile()],
    ckpt: null,
    ckpt_dir: null,
    vae_dir: null,
    embeddings_dir: null,
    hypernetwork_dir: null,
    lora_dir: null,
    xformers: false,
    medvram: false,
    lowvram: false,
    no_half: false,
    no_half_vae: false,
    precision: 'full',
    use_cpu: [],
    disable_safe_unpickle: false,
    enable_insecure_extension_access: false,
    skip_torch_cuda_test: true,
  };
}

/** /memory: the process's RAM as A1111 reports it; no CUDA statistics (onnxruntime holds the device). */
export function memory(): { ram: Record<string, number>; cuda: Record<string, string> } {
  const used = process.memoryUsage().rss;
  const total = os.totalmem();
  return { ram: { free: total - used, used, total }, cuda: { error: 'unavailable' } };
}

/** GET /sdapi/v1/loras: A1111's [{name, alias, path, metadata}] for the bridge's LoRA folder. */
export async function loras(svc: A1111Services): Promise<unknown[]> {
  const folder = svc.core.loras;
  if (folder === undefined) return [];
  return (await folder.files()).map((e) => ({ name: e.name, alias: e.alias ?? e.name, path: e.path, metadata: {} }));
}

/** GET /sdapi/v1/embeddings: A1111's {loaded: {name: {step, sd_checkpoint, sd_checkpoint_name, shape, vectors}}, skipped}. */
export async function embeddings(svc: A1111Services): Promise<{ loaded: Record<string, unknown>; skipped: Record<string, unknown> }> {
  const folder = svc.core.embeddings;
  const loaded: Record<string, unknown> = {};
  for (const { embedding: e } of folder === undefined ? [] : await folder.embeddings()) {
    loaded[e.name] = { step: null, sd_checkpoint: null, sd_checkpoint_name: null, shape: e.text_encoder.width, vectors: e.text_encoder.count };
  }
  return { loaded, skipped: {} };
}
