import type { ModelInfo } from '../models/index.js';
import { ModelStore } from '../models/index.js';
import { LoadedModel } from '../pipeline/loaded-model.js';
import { EXECUTION_PROVIDERS } from '../runtime/index.js';
import { choiceOption, requireOption } from './args.js';

/** --model (a name in the store or a folder) opened on --provider, for the one-shot commands. */
export async function loadModelOption(name: string | undefined, provider: string | undefined): Promise<{ info: ModelInfo; model: LoadedModel }> {
  const chosen = choiceOption('provider', provider, EXECUTION_PROVIDERS) ?? 'cpu';
  const info = await new ModelStore().resolve(requireOption('model', name), { allowPaths: true });
  return { info, model: await LoadedModel.load(info, { provider: chosen }) };
}
