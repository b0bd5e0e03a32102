/**
 * HTML character references, two ways:
 * - `pythonHtmlUnescape`: Python's html.unescape, which openai's CLIP tokenizer applies twice
 *   (HTML5 names, the legacy names that may omit ";", numeric references with the HTML5 rules
 *   for invalid code points).
 * - `ftfyUnescapeHtml`: ftfy's cautious variant inside fix_text: only references ending in ";",
 *   plus all-caps spellings of the lowercase names ("&EACUTE;" → "É").
 */
import { HTML5_ENTITIES, INVALID_CHARREFS, INVALID_CODEPOINTS } from './tables.generated.js';

const INVALID = new Set(INVALID_CODEPOINTS);
const CHARREF = /&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)/g;

function numericRef(body: string): string {
  const digits = body.replace(/;$/, '');
  const hex = digits[1] === 'x' || digits[1] === 'X';
  // Python's int() takes any length; past U+10FFFF the answer is U+FFFD whatever the value.
  const value = hex ? parseInt(digits.slice(2), 16) : parseInt(digits.slice(1), 10);
  const special = INVALID_CHARREFS[value];
  if (special !== undefined) return special;
  if ((value >= 0xd800 && value <= 0xdfff) || !(value <= 0x10ffff)) return '\ufffd';
  if (INVALID.has(value)) return '';
  return String.fromCodePoint(value);
}

function namedRef(body: string): string {
  const whole = HTML5_ENTITIES[body];
  if (whole !== undefined) return whole;
  // The longest prefix that is a name (only the legacy names without ";" can match this way).
  for (let x = body.length - 1; x > 1; x--) {
    const prefix = HTML5_ENTITIES[body.slice(0, x)];
    if (prefix !== undefined) return prefix + body.slice(x);
  }
  return `&${body}`;
}

export function pythonHtmlUnescape(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(CHARREF, (_m, body: string) => (body.startsWith('#') ? numericRef(body) : namedRef(body)));
}

let ftfyEntities: Map<string, string> | undefined;

/** ftfy's entity table: every HTML5 name ending in ";", and upper-cased lowercase ones that are not names themselves. */
function ftfyTable(): Map<string, string> {
  if (ftfyEntities !== undefined) return ftfyEntities;
  const table = new Map<string, string>();
  for (const [name, char] of Object.entries(HTML5_ENTITIES)) {
    if (!name.endsWith(';')) continue;
    table.set(`&${name}`, char);
  }
  for (const [name, char] of Object.entries(HTML5_ENTITIES)) {
    if (!name.endsWith(';') || name !== name.toLowerCase()) continue;
    const upper = `&${name.toUpperCase()}`;
    if (pythonHtmlUnescape(upper) === upper) table.set(upper, char.toUpperCase());
  }
  ftfyEntities = table;
  return table;
}

const FTFY_ENTITY = /&#?[0-9A-Za-z]{1,24};/g;

export function ftfyUnescapeHtml(text: string): string {
  if (!text.includes('&')) return text;
  const table = ftfyTable();
  return text.replace(FTFY_ENTITY, (ref) => {
    const named = table.get(ref);
    if (named !== undefined) return named;
    if (ref.startsWith('&#')) {
      const decoded = pythonHtmlUnescape(ref);
      // Only a reference decoded whole (its ";" consumed) counts.
      return decoded.includes(';') ? ref : decoded;
    }
    return ref;
  });
}
