# Reference ids for the tokenizer tests: openai/CLIP's SimpleTokenizer.encode restated on a
# diffusers tokenizer folder (vocab.json + merges.txt), with the real ftfy and `regex` packages.
#   python3 openai_clip_reference.py TOKENIZER_DIR < prompts.json > ids.json
# prompts.json: a JSON list of strings; output: a JSON list of id lists (no BOS/EOS).
# Needs ftfy (6.x) and regex; test data only, never imported by the product.
import html, json, sys
import ftfy
import regex as re

def byte_alphabet():
    keep = list(range(ord('!'), ord('~') + 1)) + list(range(ord('\xa1'), ord('\xac') + 1)) + list(range(ord('\xae'), ord('\xff') + 1))
    chars = keep[:]
    extra = 0
    for b in range(256):
        if b not in keep:
            keep.append(b)
            chars.append(256 + extra)
            extra += 1
    return {b: chr(c) for b, c in zip(keep, chars)}

def clean(text):
    text = ftfy.fix_text(text)
    text = html.unescape(html.unescape(text)).strip()
    return re.sub(r'\s+', ' ', text).strip().lower()

class Reference:
    WORDS = re.compile(r"""<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+""", re.IGNORECASE)

    def __init__(self, folder):
        with open(f'{folder}/vocab.json', encoding='utf-8') as f:
            self.vocab = json.load(f)
        with open(f'{folder}/merges.txt', encoding='utf-8') as f:
            lines = f.read().split('\n')
        merges = [tuple(l.split()) for l in lines[1:] if l.strip()]
        self.ranks = {m: i for i, m in enumerate(merges)}
        self.alphabet = byte_alphabet()
        self.cache = {'<|startoftext|>': ['<|startoftext|>'], '<|endoftext|>': ['<|endoftext|>']}

    def bpe(self, token):
        if token in self.cache:
            return self.cache[token]
        word = list(token[:-1]) + [token[-1] + '</w>']
        while len(word) > 1:
            pairs = [(word[i], word[i + 1]) for i in range(len(word) - 1)]
            best = min(pairs, key=lambda p: self.ranks.get(p, float('inf')))
            if best not in self.ranks:
                break
            merged, i = [], 0
            while i < len(word):
                if i < len(word) - 1 and (word[i], word[i + 1]) == best:
                    merged.append(word[i] + word[i + 1])
                    i += 2
                else:
                    merged.append(word[i])
                    i += 1
            word = merged
        self.cache[token] = word
        return word

    def encode(self, text):
        ids = []
        for token in self.WORDS.findall(clean(text)):
            token = ''.join(self.alphabet[b] for b in token.encode('utf-8'))
            ids.extend(self.vocab[t] for t in self.bpe(token))
        return ids

if __name__ == '__main__':
    ref = Reference(sys.argv[1])
    print(json.dumps([ref.encode(p) for p in json.load(sys.stdin)]))
