/**
 * merges.txt as the reference reads it: the text trimmed, its first line (the "#version" header)
 * dropped, at most 49152-256-2 merges kept, each line split on whitespace; a merge's rank is its
 * line index. The canonical file is indexed in place; anything else is canonicalised first.
 */
import { tokenizerInvalid } from './invalid.js';
import { PYTHON_WHITESPACE } from './openai-clean.js';
import { SpanList, SpanTable } from './span-table.js';

const HF_MERGE_LIMIT = 49152 - 256 - 2;

// Whitespace other than ' ' and '\n' that Python's str.split() would split on.
const OTHER_WHITESPACE = /[\t\v\f\r\x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/;
const EDGE_WHITESPACE = /^[\s\x1c-\x1f\x85]+|[\s\x1c-\x1f\x85]+$/g;

export function parseMergesFile(text: string, field: string): SpanTable {
  const trimmed = text.replace(EDGE_WHITESPACE, '');
  const headerEnd = trimmed.indexOf('\n');
  if (headerEnd < 0) throw tokenizerInvalid(field, 'no merges after the header line');
  // CLIP's merges.txt averages about 11 characters per line.
  const spans = new SpanList(Math.min(HF_MERGE_LIMIT, trimmed.length / 8));
  let canonical = !OTHER_WHITESPACE.test(trimmed);
  for (let start = headerEnd + 1; start <= trimmed.length && spans.count < HF_MERGE_LIMIT; ) {
    let end = trimmed.indexOf('\n', start);
    if (end < 0) end = trimmed.length;
    // Canonical is "left right": one space, neither first nor last on the line.
    const space = trimmed.indexOf(' ', start);
    const nextSpace = trimmed.indexOf(' ', space + 1);
    if (space <= start || space >= end - 1 || (nextSpace >= 0 && nextSpace < end)) canonical = false;
    spans.push(start, end, spans.count);
    start = end + 1;
  }
  if (canonical) return new SpanTable(trimmed, spans);
  const lines: string[] = [];
  for (let i = 0; i < spans.count; i++) lines.push(trimmed.slice(spans.starts[i], spans.ends[i]));
  return mergesFromLines(lines, field, 2);
}

/** Merge lines ("left right", best first) from any source; blank lines keep their rank slot. */
export function mergesFromLines(lines: readonly string[], field: string, firstLineNumber = 1): SpanTable {
  let text = '';
  const spans = new SpanList();
  lines.forEach((line, index) => {
    const parts = line.split(PYTHON_WHITESPACE).filter((p) => p.length > 0);
    if (parts.length === 0) return;
    if (parts.length !== 2) {
      throw tokenizerInvalid(field, `line ${index + firstLineNumber} is not a "left right" merge: ${JSON.stringify(line.slice(0, 80))}`);
    }
    const merge = `${parts[0]} ${parts[1]}`;
    spans.push(text.length, text.length + merge.length, index);
    text += `${merge}\n`;
  });
  if (spans.count === 0) throw tokenizerInvalid(field, 'no merges');
  return new SpanTable(text, spans);
}
