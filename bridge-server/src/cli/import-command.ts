import { parseArgs } from 'node:util';
import { importModel, modelNameFor, type ImportOptions } from '../convert/import-model.js';
import { bakeLoras } from '../lora/bake.js';
import { closeLoras, openLoras, type OpenedLora } from '../lora/lora-set.js';
import { parseLoraSpec } from '../lora/lora-spec.js';
import { ModelStore } from '../models/index.js';
import { choiceOption, numericOptions, requireOption } from './args.js';
import { createProgressBar, formatBytes, type ProgressBar } from './progress-bar.js';

const USAGE = `latent-bridge import SOURCE [options]
  SOURCE                      a .safetensors / .ckpt checkpoint (SD 1.x, SD 2.x, SDXL) or a diffusers folder
  --out DIR                   write the ONNX model folder here instead of the model store
  --name NAME                 folder name in the model store (default: from the file name)
  --dtype fp32|fp16           weight and compute type (default fp32; fp16 halves the size, for GPUs)
  --config PATH               the original .yaml, or a folder with diffusers config.json files
                              (a .yaml beside the checkpoint with the same name is used by itself)
  --prediction-type epsilon|v_prediction
  --vae FILE                  use this VAE instead of the checkpoint's own
  --vae-fp16-fix              the SDXL VAE stays finite in fp16 (madebyollin's sdxl-vae-fp16-fix)
  --ema                       import the UNet's EMA weights (model_ema.*) when the file has them
  --variant NAME              diffusers folders: prefer NAME weight files (e.g. fp16)
  --steps N --guidance G --scheduler NAME   defaults recorded with the model (e.g. a Turbo model: 1, 0)
  --lora FILE[:WEIGHT]        bake a LoRA / LoCon into the model (repeatable; weight default 1)
  --replace                   replace a model already at the destination
  --models DIR                the model store (default $LATENT_BRIDGE_MODELS)`;

export async function importCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      out: { type: 'string' },
      name: { type: 'string' },
      dtype: { type: 'string' },
      config: { type: 'string' },
      'prediction-type': { type: 'string' },
      vae: { type: 'string' },
      'vae-fp16-fix': { type: 'boolean' },
      ema: { type: 'boolean' },
      variant: { type: 'string' },
      steps: { type: 'string' },
      guidance: { type: 'string' },
      scheduler: { type: 'string' },
      replace: { type: 'boolean' },
      lora: { type: 'string', multiple: true },
      models: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help === true || positionals.length === 0) {
    console.log(USAGE);
    if (values.help !== true) process.exitCode = 2;
    return;
  }
  const source = requireOption('source', positionals[0]);
  const dtype = choiceOption('dtype', values.dtype, ['fp32', 'fp16'] as const);
  const prediction = choiceOption('prediction-type', values['prediction-type'], ['epsilon', 'v_prediction'] as const);
  const numbers = numericOptions(values, ['steps', 'guidance'] as const);
  const defaults = { ...numbers, ...(values.scheduler !== undefined ? { scheduler: values.scheduler } : {}) };

  const loraUses = (values.lora ?? []).map((spec) => parseLoraSpec(spec, '--lora'));
  const loras: OpenedLora[] = loraUses.length > 0 ? await openLoras(loraUses) : [];
  const bakedName = loras.length > 0 && values.name === undefined ? `${modelNameFor(source)}-${loraUses.map((u) => u.label ?? 'lora').join('-')}`.replace(/[^A-Za-z0-9._-]+/g, '-').slice(0, 120) : undefined;

  const controller = new AbortController();
  const onSignal = () => controller.abort(new Error('interrupted'));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let bar: ProgressBar | undefined;
  const options: ImportOptions = {
    source,
    store: new ModelStore(values.models),
    signal: controller.signal,
    onProgress: (p) => {
      bar ??= createProgressBar({ label: 'importing', total: p.total, unit: 'bytes' });
      bar.update(p.done, p.total, `writing ${p.component ?? ''}`);
    },
    ...(values.out !== undefined ? { out: values.out } : {}),
    ...(values.name !== undefined ? { name: values.name } : bakedName !== undefined ? { name: bakedName } : {}),
    ...(loras.length > 0 ? { transformInputs: bakeLoras(loras) } : {}),
    ...(dtype !== undefined ? { dtype } : {}),
    ...(values.config !== undefined ? { config: values.config } : {}),
    ...(prediction !== undefined ? { prediction } : {}),
    ...(values.vae !== undefined ? { vae: values.vae } : {}),
    ...(values['vae-fp16-fix'] === true ? { vaeFp16Safe: true } : {}),
    ...(values.ema === true ? { ema: true } : {}),
    ...(values.variant !== undefined ? { variant: values.variant } : {}),
    ...(values.replace === true ? { replace: true } : {}),
    ...(Object.keys(defaults).length > 0 ? { defaults } : {}),
  };
  try {
    const result = await importModel(options);
    bar?.finish();
    for (const w of result.warnings) console.error(`note: ${w}`);
    const what = `${result.family} ${result.variant === 'base' ? '' : `${result.variant} `}(${result.prediction})`;
    if (result.reused) console.log(`${source} was imported before as "${result.name}" (${what}); nothing written. Use --replace to import again.`);
    else console.log(`imported ${what} as "${result.name}" in ${result.dir} (${formatBytes(result.bytesWritten)} of weights${result.hash ? `, model hash ${result.hash.shortHash}` : ''})`);
  } finally {
    await closeLoras(loras);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
