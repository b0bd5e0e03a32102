# The tokenizer sweep of README.md: builds a corpus (every BMP code point and the assigned astral
# blocks in context, ftfy's own test-case strings, 20,000 seeded random mixes of mojibake-prone
# characters and entities) and openai's ids for it with openai_clip_reference.py (real ftfy + regex).
#   python3 sweep.py TOKENIZER_DIR FTFY_TEST_CASES_DIR OUT_DIR
# then: node bridge-server/dist/tokenizer/testing/sweep-compare.js OUT_DIR
import json, os, random, sys
from openai_clip_reference import Reference

folder, cases_dir, out = sys.argv[1:4]
texts = []
for name in ['in-the-wild', 'known-failures', 'language-names', 'negative', 'synthetic']:
    for case in json.load(open(os.path.join(cases_dir, name + '.json'), encoding='utf-8')):
        texts.append(case['original'])
        if 'fixed' in case:
            texts.append(case['fixed'])
cps = list(range(0, 0xD800)) + list(range(0xE000, 0x20100)) + list(range(0xE0000, 0xE0080))
texts += ['a' + chr(c) + 'b ' + chr(c) for c in cps]
rng = random.Random(1)
pool = [chr(c) for c in range(0x80, 0x250)] + list('€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ') + list('abc de&;#<> ') + ['&amp;', '&#39;', '&eacute;', '\u200b', '\u00ad', 'Ã', 'Â', 'â€']
texts += [''.join(rng.choice(pool) for _ in range(rng.randint(1, 12))) for _ in range(20000)]
ref = Reference(folder)
os.makedirs(out, exist_ok=True)
json.dump(texts, open(os.path.join(out, 'corpus.json'), 'w'))
json.dump([ref.encode(t) for t in texts], open(os.path.join(out, 'ref.json'), 'w'))
print(len(texts), 'strings')
