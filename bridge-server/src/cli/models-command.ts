import { parseArgs } from 'node:util';
import { BridgeError } from '@latent-bridge/shared';
import { ModelStore, pullModel, validateModelFolder } from '../models/index.js';
import { makeTestModel } from '../testmodels/index.js';
import { requireOption } from './args.js';
import { addTaesd } from './taesd-command.js';
import { createProgressBar } from './progress-bar.js';

const USAGE = `latent-bridge models <command>
  list                          models in the model folder (${'$'}LATENT_BRIDGE_MODELS)
  pull REPO [--revision REV]    download a Hugging Face ONNX repo (e.g. --revision onnx)
  verify DIR|NAME               check a model folder and report what is missing or corrupt
  make-test oracle|tiny-random DIR [--inpaint] [--fp16]
                                build one of the project's own test models
  add-taesd FILE [--model NAME] [--variant taesd|taesdxl]
                                install a TAESD decoder (.safetensors/.pth, original or diffusers keys)
                                for step previews: into one model's folder, or without --model for
                                every model of its latent space (taesd: SD 1.x/2.x, taesdxl: SDXL)`;

export async function modelsCommand(argv: string[]): Promise<void> {
  const [sub, ...rest] = argv;
  const store = new ModelStore();
  switch (sub) {
    case 'list': {
      const models = await store.list();
      if (models.length === 0) {
        console.log(`No models in ${store.root}. Pull one with: latent-bridge models pull <repo> --revision onnx`);
      }
      for (const m of models) {
        if (!m.info) {
          console.log(`${m.name}\tINVALID: ${m.problems.map((p) => p.message).join('; ')}`);
          continue;
        }
        const mb = (m.info.sizeBytes / 1e6).toFixed(0);
        console.log(`${m.name}\t${m.info.nativeSize}px\t${m.info.inpainting ? 'inpainting' : 'standard'}\t${mb} MB`);
      }
      return;
    }
    case 'pull': {
      const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { revision: { type: 'string' } } });
      const repo = requireOption('repo', positionals[0]);
      const bar = createProgressBar({ label: repo, total: 1, unit: 'bytes' });
      const info = await pullModel(repo, {
        root: store.root,
        ...(values.revision ? { revision: values.revision } : {}),
        onProgress: (p) => bar.update(p.bytes, p.total, p.file),
      });
      bar.finish(`pulled ${repo} into ${info.dir}`);
      return;
    }
    case 'verify': {
      const target = requireOption('model', rest[0]);
      const dir = await store.locate(target, { allowPaths: true });
      const problems = await validateModelFolder(dir);
      if (problems.length === 0) {
        console.log(`${dir}: OK`);
        return;
      }
      for (const p of problems) console.log(`${p.path}: ${p.message}`);
      throw new BridgeError('model_invalid', `${problems.length} problem(s) in ${dir}`, problems[0]?.path);
    }
    case 'make-test': {
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: { inpaint: { type: 'boolean' }, fp16: { type: 'boolean' } },
      });
      const kind = requireOption('kind', positionals[0]);
      if (kind !== 'oracle' && kind !== 'tiny-random') {
        throw new BridgeError('invalid_field', `kind: expected oracle or tiny-random, got "${kind}"`, 'kind');
      }
      const dir = requireOption('dir', positionals[1]);
      await makeTestModel(kind, dir, { inpaint: values.inpaint === true, fp16: values.fp16 === true });
      console.log(`wrote ${kind} model to ${dir}`);
      return;
    }
    case 'add-taesd': {
      const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { model: { type: 'string' }, variant: { type: 'string' } } });
      const file = requireOption('file', positionals[0]);
      const result = await addTaesd(store, file, values.model, values.variant);
      console.log(`installed ${result.variant} (${result.layout} layout) into ${result.dir}`);
      return;
    }
    default:
      console.log(USAGE);
      if (sub !== undefined && sub !== 'help') throw new BridgeError('invalid_field', `unknown models command "${sub}"`, 'command');
  }
}
