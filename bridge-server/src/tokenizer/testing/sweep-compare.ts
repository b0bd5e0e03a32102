/**
 * Compares our ids with the sweep's reference ids (see sweep.py): `node sweep-compare.js OUT_DIR`.
 * Prints how many strings agree and the first differences. A hand-run check, not a test.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundledClipTokenizerDir } from '../bundled.js';
import { ClipTokenizer } from '../clip-tokenizer.js';

const dir = process.argv[2] ?? '.';
const texts = JSON.parse(readFileSync(join(dir, 'corpus.json'), 'utf8')) as string[];
const ref = JSON.parse(readFileSync(join(dir, 'ref.json'), 'utf8')) as number[][];
const tokenizer = await ClipTokenizer.fromFolder(bundledClipTokenizerDir());
let same = 0;
const diffs: string[] = [];
texts.forEach((text, i) => {
  const ours = tokenizer.encode(text);
  if (JSON.stringify(ours) === JSON.stringify(ref[i])) same++;
  else if (diffs.length < 20) diffs.push(`${JSON.stringify(text)}: ours ${JSON.stringify(ours)} openai ${JSON.stringify(ref[i])}`);
});
console.log(`${same} of ${texts.length} identical (${((100 * same) / texts.length).toFixed(2)} %)`);
for (const d of diffs) console.log(d);
