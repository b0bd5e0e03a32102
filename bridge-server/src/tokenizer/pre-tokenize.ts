/**
 * CLIP's word split. Case-insensitive like the reference (Python `regex` with IGNORECASE); on
 * already lower-cased text that still matters, e.g. "'ſ" (long s) matches the 's contraction.
 */
const CLIP_WORD =
  /<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|\p{L}+|\p{N}|[^\s\p{L}\p{N}]+/giu;

// U+0345 (combining ypogegrammeni) case-folds to a letter (ι). Under IGNORECASE Python's regex
// then matches it with no branch, so findall skips it and it splits words like a space; V8's
// case-insensitive \p{L} instead takes it as a letter. Of all code points, only this one differs.
const YPOGEGRAMMENI = /\u0345/g;

export function splitClipWords(cleanText: string): string[] {
  const text = cleanText.includes('\u0345') ? cleanText.replace(YPOGEGRAMMENI, ' ') : cleanText;
  return text.match(CLIP_WORD) ?? [];
}
