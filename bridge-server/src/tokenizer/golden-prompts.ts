/**
 * Golden ids of Hugging Face's slow CLIPTokenizer without ftfy (transformers 4.57.6, the diffusers
 * setup), on the OpenAI CLIP vocabulary. Unless a note cites a published output, the ids were
 * produced by running that tokenizer on these exact strings; `sd2` is the same tokenizer loaded
 * with SD2's pad token "!" (only listed where it differs). Ids exclude BOS/EOS.
 */

export interface GoldenPrompt {
  readonly text: string;
  readonly ids: readonly number[];
  readonly sd2?: readonly number[];
  readonly note?: string;
}

export const GOLDEN_PROMPTS: readonly GoldenPrompt[] = [
  { text: 'a photo of a cat', ids: [320, 1125, 539, 320, 2368], note: 'given in the brief' },
  { text: 'how are you doing?', ids: [829, 631, 592, 1960, 286], note: 'given in the brief' },
  { text: 'A Photo Of A CAT', ids: [320, 1125, 539, 320, 2368] },
  { text: '  a   photo\tof\na\r\ncat  ', ids: [320, 1125, 539, 320, 2368] },
  { text: 'masterpiece, best quality, (ultra-detailed:1.2), 8k, RAW photo', ids: [12066, 267, 949, 3027, 267, 263, 8118, 268, 12609, 281, 272, 269, 273, 2361, 279, 330, 267, 6323, 1125] },
  { text: "it's the cat's toy, they're here, we've done, i'm ok, you'll see, he'd go, don't", ids: [585, 568, 518, 2368, 568, 5988, 267, 889, 982, 763, 267, 649, 1200, 1700, 267, 328, 880, 2481, 267, 592, 1342, 862, 267, 797, 1896, 861, 267, 847, 713] },
  { text: "IT'S DON'T THEY'RE", ids: [585, 568, 847, 713, 889, 982] },
  { text: '1234567890 3.14 1,000,000', ids: [272, 273, 274, 275, 276, 277, 278, 279, 280, 271, 274, 269, 272, 275, 272, 267, 271, 271, 271, 267, 271, 271, 271] },
  { text: 'café naïve résumé crème brûlée', ids: [15304, 1097, 35689, 563, 29106, 7054, 4166, 1075, 12138, 614, 711, 127, 119, 75, 13489], note: 'café hand-checked through merges.txt, see bpe.test.ts' },
  { text: 'cafe\u0301 vs café', ids: [15304, 1547, 15304] },
  { text: 'Привет, мир! Москва', ids: [26302, 16370, 29503, 110, 22176, 141, 480, 267, 38018, 16701, 141, 478, 256, 38018, 13506, 23669, 27152, 39813, 27080], sd2: [26302, 16370, 29503, 110, 22176, 141, 480, 267, 38018, 16701, 141, 478, 0, 38018, 13506, 23669, 27152, 39813, 27080] },
  { text: '東京タワー 夜景', ids: [27667, 365, 21078, 361, 34941, 2429, 107, 30391, 23170, 506, 48132, 363], note: 'each CJK ideograph becomes its own word; kana do not' },
  { text: '中文提示词', ids: [19759, 511, 29032, 485, 162, 237, 494, 163, 97, 374, 164, 107, 491] },
  { text: '🔥🐱\u200d👤 emoji 😀👍🏽', ids: [3191, 35710, 964, 353, 16327, 12832, 43722] },
  { text: '❤\ufe0f love ✨', ids: [1752, 793, 3531] },
  { text: 'ΟΔΥΣΣΕΥΣ Σίσυφος', ids: [138, 123, 138, 112, 139, 227, 139, 225, 139, 225, 138, 113, 139, 227, 139, 480, 139, 225, 138, 107, 139, 225, 139, 227, 139, 228, 138, 123, 139, 480], note: "Python's lower() gives final sigma ς (the fast tokenizer gives σ)" },
  { text: "A\n'll 11p223RF☆ho!!to?'d'd''d of a cat to-$''d.", ids: [320, 1342, 272, 272, 335, 273, 273, 274, 16368, 13439, 2971, 748, 531, 13610, 323, 1896, 8445, 323, 539, 320, 2368, 531, 12, 3, 8445, 323, 269], sd2: [320, 1342, 272, 272, 335, 273, 273, 274, 16368, 13439, 2971, 0, 0, 531, 13610, 323, 1896, 8445, 323, 539, 320, 2368, 531, 12, 3, 8445, 323, 269], note: "text from transformers' test_tokenization_clip.py (slow == fast check)" },
  { text: 'xa\u0303y xãy', ids: [87, 19339, 344, 87, 19339, 344] },
  { text: 'zero\u200bwidth soft\u00adhyphen', ids: [14867, 23571, 1571, 7804, 745, 576], note: 'format characters (Cf) are dropped' },
  { text: 'non\u00a0breaking\u3000ideographic space', ids: [3353, 2755, 1909, 78, 4245, 2138] },
  { text: 'line\u2028separator\u2029para', ids: [1148, 6859, 1962, 8976] },
  { text: '<|startoftext|>hello<|endoftext|>', ids: [49406, 3306, 49407] },
  { text: 'a:b;c/d\\e|f~g`h^i', ids: [320, 281, 321, 282, 322, 270, 323, 315, 324, 347, 325, 349, 326, 319, 327, 317, 328] },
  { text: '((((masterpiece)))), [[[bad]]], {x}', ids: [22944, 13796, 12066, 13720, 8, 2361, 58, 58, 314, 2103, 60, 60, 34067, 346, 343, 348] },
  { text: '!!!???...,,,', ids: [11194, 40017, 3002, 14811], sd2: [0, 0, 0, 40017, 3002, 14811] },
  { text: 'emoji🎨art', ids: [16327, 13461, 794] },
  { text: 'ＦＵＬＬ ｗｉｄｔｈ', ids: [171, 121, 228, 171, 121, 243, 171, 121, 234, 171, 121, 490, 171, 121, 245, 171, 121, 231, 171, 121, 226, 171, 121, 242, 171, 121, 486] },
  { text: 'ﬁ ligature', ids: [171, 105, 479, 19915, 4490] },
  { text: 'İstanbul', ids: [328, 16384, 11231] },
  { text: 'straße STRASSE', ids: [1894, 127, 253, 324, 1894, 8938] },
  { text: '日本語のテキスト', ids: [37156, 19277, 361, 34002, 508, 21575, 2429, 228, 47121, 32421, 486] },
  { text: '한국어 텍스트', ids: [15197, 250, 31871, 255, 31625, 368, 169, 227, 235, 20305, 39820] },
  { text: 'العربية עברית', ids: [12973, 18843, 10948, 16378, 12046, 20915, 147, 95, 147, 239, 147, 101, 147, 247, 147, 359] },
  { text: 'ह\u093fन\u094dद\u0940', ids: [29446, 26721, 26090, 19389, 29552, 25751] },
  { text: 'x²³ ½ ⅓ Ⅻ', ids: [343, 41175, 126, 367, 33613, 158, 227, 497, 158, 227, 375] },
  { text: '٣٤٥', ids: [149, 352, 149, 353, 149, 354] },
  { text: '$100 @user #tag 50%', ids: [259, 272, 271, 271, 287, 7031, 258, 3640, 276, 271, 260] },
  { text: '', ids: [] },
  { text: '   \n\t ', ids: [] },
  { text: '\u0000null\u0007bell\u001bescape', ids: [29358, 75, 13587, 12314], note: 'control characters are dropped without leaving a gap' },
  { text: 'don’t', ids: [847, 728, 503, 339] },
  { text: '�replacement', ids: [10835] },
  { text: "it'ſ fine", ids: [585, 6, 129, 379, 3797], note: "'ſ (long s) matches the 's contraction under IGNORECASE" },
  { text: 'K kelvin Ω ohm', ids: [330, 32859, 38065, 5648, 332] },
  { text: 'ǅungla', ids: [131, 228, 10439, 1210] },
  { text: '𝐀𝐁𝐂 math', ids: [15889, 222, 15889, 223, 15889, 480, 6025] },
  { text: '🏳\ufe0f\u200d🌈 flag', ids: [26844, 13042, 4859] },
  { text: 'x \u0345 y', ids: [343, 344], note: 'U+0345 matches no branch of the word regex and vanishes' },
  { text: 'photorealistic portrait of an elderly fisherman, weathered skin, golden hour lighting, bokeh', ids: [1153, 16157, 5352, 539, 550, 15455, 25055, 267, 598, 34091, 3575, 267, 3878, 2232, 5799, 267, 647, 36983] },
  { text: 'lowres, bad anatomy, bad hands, text, error, missing fingers, extra digit, fewer digits, cropped, worst quality, low quality, normal quality, jpeg artifacts, signature, watermark, username, blurry', ids: [1049, 934, 267, 2103, 15376, 267, 2103, 3500, 267, 4160, 267, 12097, 267, 3423, 9690, 267, 4231, 27472, 267, 19128, 31710, 267, 31139, 267, 5719, 3027, 267, 1042, 3027, 267, 5967, 3027, 267, 73, 11207, 30249, 267, 9189, 267, 2505, 2110, 267, 28162, 267, 21977] },
  { text: "'s 't 're 've 'm 'll 'd", ids: [568, 713, 982, 1200, 880, 1342, 1896] },
  { text: '<|ENDOFTEXT|>x', ids: [49407, 343] },
  { text: 'a<|endoftext|>b', ids: [320, 49407, 321] },
  { text: '! !! !!!', ids: [256, 748, 995], sd2: [0, 0, 0, 0, 0, 0], note: 'published: diffusers#4153 (open_clip / SD1 ids; SD2 pad "!" gives six 0s)' },
  { text: 'hello!', ids: [3306, 256], sd2: [3306, 0] },
  { text: 'A photograph of an astronaut riding a horse', ids: [320, 8853, 539, 550, 18376, 6765, 320, 4558], note: 'published: HF CLIPTokenizer reference quoted in SharpInference docs (find_string "49406, 320, 8853")' },
  { text: 'This is a test', ids: [589, 533, 320, 1628], note: 'published: openai/CLIP clip.tokenize output in pytorch/text#1631' },
  { text: 'Tokyo at night, neon lights, rain, 35mm, f/1.8, (cinematic:1.3)', ids: [6667, 536, 930, 267, 13919, 3073, 267, 2443, 267, 274, 276, 2848, 267, 325, 270, 272, 269, 279, 267, 263, 25602, 281, 272, 269, 274, 264] },
];

/** 131 ids: long enough to be truncated by tokenize() and split in two by tokenizeChunks(). */
export const LONG_PROMPT = {
  text: 'a very detailed painting of a castle on a hill, a very detailed painting of a castle on a hill, a very detailed painting of a castle on a hill, a very detailed painting of a castle on a hill, a very detailed painting of a castle on a hill, a very detailed painting of a castle on a hill, a very detailed painting of a castle on a hill, a very detailed painting of a castle on a hill, a very detailed painting of a castle on a hill, a very detailed painting of a castle on a hill, a very detailed painting of a castle on a hill, a very detailed painting of a castle on a hill',
  ids: [320, 1070, 12609, 3086, 539, 320, 3540, 525, 320, 2682, 267, 320, 1070, 12609, 3086, 539, 320, 3540, 525, 320, 2682, 267, 320, 1070, 12609, 3086, 539, 320, 3540, 525, 320, 2682, 267, 320, 1070, 12609, 3086, 539, 320, 3540, 525, 320, 2682, 267, 320, 1070, 12609, 3086, 539, 320, 3540, 525, 320, 2682, 267, 320, 1070, 12609, 3086, 539, 320, 3540, 525, 320, 2682, 267, 320, 1070, 12609, 3086, 539, 320, 3540, 525, 320, 2682, 267, 320, 1070, 12609, 3086, 539, 320, 3540, 525, 320, 2682, 267, 320, 1070, 12609, 3086, 539, 320, 3540, 525, 320, 2682, 267, 320, 1070, 12609, 3086, 539, 320, 3540, 525, 320, 2682, 267, 320, 1070, 12609, 3086, 539, 320, 3540, 525, 320, 2682, 267, 320, 1070, 12609, 3086, 539, 320, 3540, 525, 320, 2682],
} as const;
