/**
 * ftfy.fix_text with its default settings (ftfy 6.3), the clean-up openai's CLIP tokenizer runs
 * first. Line by line (HTML unescaping stays off from the first line holding a "<" on, as in
 * ftfy's "auto"), each line is repaired until it stops changing: HTML entities, mojibake, C1
 * controls, Latin ligatures, full/half-width forms, curly quotes, line breaks, lone surrogates,
 * terminal colour codes, invisible control characters, then NFC.
 */
import { ftfyUnescapeHtml } from './html-unescape.js';
import { fixC1Controls, fixEncoding } from './mojibake.js';

// Latin ligatures and digraphs ftfy takes apart (æ, œ and the like are left: they are letters).
const LIGATURES: Readonly<Record<string, string>> = {
  '\u0132': 'IJ', '\u0133': 'ij', '\u0149': '\u02bcn',
  '\u01f1': 'DZ', '\u01f2': 'Dz', '\u01f3': 'dz', '\u01c4': 'D\u017d', '\u01c5': 'D\u017e', '\u01c6': 'd\u017e',
  '\u01c7': 'LJ', '\u01c8': 'Lj', '\u01c9': 'lj', '\u01ca': 'NJ', '\u01cb': 'Nj', '\u01cc': 'nj',
  '\ufb00': 'ff', '\ufb01': 'fi', '\ufb02': 'fl', '\ufb03': 'ffi', '\ufb04': 'ffl', '\ufb05': '\u017ft', '\ufb06': 'st',
};
const LIGATURE_RE = new RegExp(`[${Object.keys(LIGATURES).join('')}]`, 'g');

// Half- and full-width forms (U+FF01–U+FFEF) to their NFKC form, and the ideographic space to ' '.
const WIDTH = /[\u3000\uff01-\uffef]/g;
const widthForm = (c: string): string => (c === '\u3000' ? ' ' : c.normalize('NFKC'));

const SINGLE_QUOTES = /[\u02bc\u2018-\u201b]/g;
const DOUBLE_QUOTES = /[\u201c-\u201f]/g;
const LINE_BREAKS = /\r\n|[\r\u2028\u2029\u0085]/g;
const PAIRED_OR_LONE_SURROGATE = /[\ud800-\udbff][\udc00-\udfff]|[\ud800-\udfff]/g;
/** ESC [ digits-or-semicolons letter (Python's \d is any decimal digit). */
const TERMINAL_ESCAPE = /\x1b\[(?:\p{Nd}|;)*[a-zA-Z]/gu;
/** C0 controls but tab, LF, FF, CR; DEL; deprecated Arabic format codes; BOM; interlinear annotation and U+FFFC. */
const CONTROL = /[\x00-\x08\x0b\x0e-\x1f\x7f\u206a-\u206f\ufeff\ufff9-\ufffc]/g;

function fixSegment(segment: string, unescapeHtml: boolean): string {
  let text = segment;
  for (;;) {
    const before = text;
    if (unescapeHtml) text = ftfyUnescapeHtml(text);
    text = fixEncoding(text);
    text = fixC1Controls(text);
    text = text.replace(LIGATURE_RE, (c) => LIGATURES[c] ?? c);
    text = text.replace(WIDTH, widthForm);
    text = text.replace(SINGLE_QUOTES, "'").replace(DOUBLE_QUOTES, '"');
    text = text.replace(LINE_BREAKS, '\n');
    // A JavaScript string holds a pair as the character itself; only a lone half is left to replace.
    text = text.replace(PAIRED_OR_LONE_SURROGATE, (s) => (s.length === 2 ? s : '\ufffd'));
    text = text.replace(TERMINAL_ESCAPE, '');
    text = text.replace(CONTROL, '');
    text = text.normalize('NFC');
    if (text === before) return text;
  }
}

/** ftfy.fix_text(text) with default settings. */
export function ftfyFixText(text: string): string {
  let unescapeHtml = true;
  let out = '';
  let pos = 0;
  while (pos < text.length) {
    const nl = text.indexOf('\n', pos);
    const end = nl < 0 ? text.length : nl + 1;
    const segment = text.slice(pos, end);
    if (unescapeHtml && segment.includes('<')) unescapeHtml = false;
    out += fixSegment(segment, unescapeHtml);
    pos = end;
  }
  return out;
}
