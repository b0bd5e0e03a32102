/**
 * Text clean-up of Hugging Face's slow CLIPTokenizer when ftfy is not installed (the case in
 * diffusers setups): it runs BERT's BasicTokenizer with strip_accents=False and no punctuation
 * splitting, then joins the words with single spaces. Step by step, in HF's order:
 *   1. drop NUL, U+FFFD and every "C*" category character except \t \n \r (Cc, Cf such as
 *      zero-width joiner and soft hyphen, unassigned, private use, lone surrogates);
 *      \t \n \r and Zs spaces become ' '. Dropped characters leave no gap ("a\u200bb" -> "ab").
 *   2. pad CJK ideographs with spaces so each becomes its own word (kana and Hangul are not);
 *   3. NFC; 4. split on Python's str.split() whitespace; 5. lower-case (Python's str.lower, which
 *      like String#toLowerCase applies full mappings and the Greek final-sigma rule).
 */

// \t \n \r are Cc but HF treats them as whitespace, so they are replaced before the C* sweep.
const HF_WHITESPACE = /[\t\n\r\p{Zs}]/gu;
const HF_DROPPED = /[\p{C}\ufffd]/gu;

// BasicTokenizer._is_chinese_char ranges (CJK Unified Ideographs and extensions, compatibility).
const CJK_IDEOGRAPH =
  /[\u4e00-\u9fff\u3400-\u4dbf\u{20000}-\u{2a6df}\u{2a700}-\u{2b73f}\u{2b740}-\u{2b81f}\u{2b820}-\u{2ceaf}\uf900-\ufaff\u{2f800}-\u{2fa1f}]/gu;

// Characters Python's str.split() splits on. After step 1 only ' ', U+2028 and U+2029 can remain,
// but the full set keeps this step correct on its own.
export const PYTHON_WHITESPACE =
  /[\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/u;

export function hfBasicClean(text: string): string {
  const cleaned = text.replace(HF_WHITESPACE, ' ').replace(HF_DROPPED, '');
  const spaced = cleaned.replace(CJK_IDEOGRAPH, ' $& ');
  const words = spaced.normalize('NFC').split(PYTHON_WHITESPACE);
  return words
    .filter((w) => w.length > 0)
    .join(' ')
    .toLowerCase();
}
