/** Test helpers: temporary diffusers-style tokenizer folders built around the bundled vocabulary. */
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundledClipTokenizerDir } from './bundled.js';

const ADDED_TOKEN = (content: string): Record<string, unknown> => ({
  content,
  lstrip: false,
  normalized: true,
  rstrip: false,
  single_word: false,
});

/** special_tokens_map.json / tokenizer_config.json as in the SD1.5 (pad EOS) and SD2 (pad "!") repos. */
export function diffusersConfigs(pad: string): Record<string, string> {
  const tokens = {
    bos_token: ADDED_TOKEN('<|startoftext|>'),
    eos_token: ADDED_TOKEN('<|endoftext|>'),
    pad_token: pad,
    unk_token: ADDED_TOKEN('<|endoftext|>'),
  };
  return {
    'special_tokens_map.json': JSON.stringify(tokens),
    'tokenizer_config.json': JSON.stringify({
      add_prefix_space: false,
      ...tokens,
      do_lower_case: true,
      errors: 'replace',
      model_max_length: 77,
      name_or_path: 'openai/clip-vit-large-patch14',
      special_tokens_map_file: './special_tokens_map.json',
      tokenizer_class: 'CLIPTokenizer',
    }),
  };
}

export interface TempFolder {
  readonly dir: string;
  remove(): Promise<void>;
}

/**
 * A folder with the bundled vocab.json and merges.txt plus the given files; a file given as
 * null is left out, a given vocab.json / merges.txt replaces the bundled one.
 */
export async function tokenizerFolder(files: Record<string, string | null> = {}): Promise<TempFolder> {
  const dir = await mkdtemp(join(tmpdir(), 'clip-tokenizer-'));
  for (const name of ['vocab.json', 'merges.txt']) {
    if (!(name in files)) await copyFile(join(bundledClipTokenizerDir(), name), join(dir, name));
  }
  for (const [name, text] of Object.entries(files)) {
    if (text !== null) await writeFile(join(dir, name), text);
  }
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}
