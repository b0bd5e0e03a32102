/**
 * The text clean-up of openai/CLIP's SimpleTokenizer.encode (also what A1111 gets through
 * open_clip, and transformers' slow CLIPTokenizer when ftfy is installed, up to the HTML step):
 *   basic_clean: ftfy.fix_text, html.unescape twice, strip;
 *   whitespace_clean: every run of whitespace (the `regex` module's \s: Unicode White_Space)
 *   becomes one space, strip; then lower-case (Python's str.lower, like String#toLowerCase).
 */
import { ftfyFixText } from './text-fix/fix-text.js';
import { pythonHtmlUnescape } from './text-fix/html-unescape.js';

/** Characters Python's str.split()/strip() treat as whitespace (str.isspace). */
export const PYTHON_WHITESPACE =
  /[\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/u;
const PY_STRIP = /^[\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+|[\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$/gu;
/** The `regex` module's \s: White_Space, which unlike str.isspace leaves out U+001C–U+001F. */
const REGEX_WHITESPACE_RUN = /[\t\n\v\f\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/gu;

const pyStrip = (s: string): string => s.replace(PY_STRIP, '');

export function openaiCleanText(text: string): string {
  const basic = pyStrip(pythonHtmlUnescape(pythonHtmlUnescape(ftfyFixText(text))));
  return pyStrip(basic.replace(REGEX_WHITESPACE_RUN, ' ')).toLowerCase();
}
