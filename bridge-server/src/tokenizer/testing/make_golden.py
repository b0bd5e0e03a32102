# Regenerates ../golden-prompts.ts: openai/CLIP tokenizer ids (openai_clip_reference.py, real
# ftfy 6.3 + regex) for every text in golden-texts.json and for the long prompt.
#   python3 make_golden.py TOKENIZER_DIR > ../golden-prompts.ts
import json, os, sys
from openai_clip_reference import Reference
import ftfy, regex

here = os.path.dirname(os.path.abspath(__file__))
texts = json.load(open(os.path.join(here, 'golden-texts.json'), encoding='utf-8'))
ref = Reference(sys.argv[1])
long_text = ', '.join(['a very detailed painting of a castle on a hill'] * 12)
print(f"""/**
 * Golden ids of openai/CLIP's SimpleTokenizer (ftfy.fix_text, html.unescape twice, whitespace
 * clean-up, lower-case, its word regex, byte-level BPE) on the CLIP vocabulary, made by
 * testing/make_golden.py with ftfy {ftfy.__version__} and regex {regex.__version__} from the texts in
 * testing/golden-texts.json. Ids exclude BOS/EOS. Generated; do not edit.
 */

export interface GoldenPrompt {{
  readonly text: string;
  readonly ids: readonly number[];
}}

export const GOLDEN_PROMPTS: readonly GoldenPrompt[] = [""")
for t in texts:
    print(f'  {{ text: {json.dumps(t)}, ids: {json.dumps(ref.encode(t))} }},')
print('];')
print()
ids = ref.encode(long_text)
print(f'/** {len(ids)} ids: long enough to be truncated by tokenize() and split in two by tokenizeChunks(). */')
print(f'export const LONG_PROMPT = {{\n  text: {json.dumps(long_text)},\n  ids: {json.dumps(ids)},\n}} as const;')
