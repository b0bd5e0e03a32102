/**
 * A1111's prompt editing and alternation (modules/prompt_parser.py): "[from:to:when]", "[to:when]",
 * "[from::when]" switch text at a step, "[a|b]" alternates every step, and "AND" composes prompts
 * with weights ("a :1.2 AND b"). The grammar is A1111's lark grammar read by hand: brackets that
 * form none of these stay text, and a prompt the grammar cannot read at all (a top-level "|")
 * is used as it is at every step, as A1111 does.
 */

type Node =
  | { kind: 'text'; text: string }
  | { kind: 'emph'; children: Node[] }
  | { kind: 'sched'; before: Node[] | null; after: Node[]; when: string; at: number }
  | { kind: 'alt'; options: Node[][] };

const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/;
const PLAIN = /^(?:[^\\[\]():|]|\\.)+/s;

class Parser {
  pos = 0;
  constructor(readonly src: string) {}

  /** start: (prompt | /[][():]/+)*  — null when some character fits nowhere (the whole prompt is text). */
  start(): Node[] | null {
    const out: Node[] = [];
    while (this.pos < this.src.length) {
      const before = this.pos;
      out.push(...this.prompt());
      if (this.pos < this.src.length && '[]():'.includes(this.src[this.pos] as string)) {
        out.push({ kind: 'text', text: this.src[this.pos] as string });
        this.pos++;
      } else if (this.pos === before) {
        return null;
      }
    }
    return out;
  }

  /** prompt: (emphasized | scheduled | alternate | plain | WHITESPACE)* */
  prompt(): Node[] {
    const out: Node[] = [];
    for (;;) {
      const c = this.src[this.pos];
      if (c === undefined) return out;
      if (c === '(' || c === '[') {
        const node = this.bracket();
        if (node === null) return out;
        out.push(node);
        continue;
      }
      const m = PLAIN.exec(this.src.slice(this.pos));
      if (m === null) return out;
      out.push({ kind: 'text', text: m[0] });
      this.pos += m[0].length;
    }
  }

  private attempt<T>(parse: () => T | null): T | null {
    const saved = this.pos;
    const got = parse();
    if (got === null) this.pos = saved;
    return got;
  }

  private eat(c: string): boolean {
    if (this.src[this.pos] !== c) return false;
    this.pos++;
    return true;
  }

  private spaces(): void {
    while (/\s/.test(this.src[this.pos] ?? '')) this.pos++;
  }

  private bracket(): Node | null {
    const open = this.src[this.pos];
    if (open === '(') {
      return this.attempt(() => {
        this.pos++;
        const a = this.prompt();
        if (this.eat(')')) return { kind: 'emph', children: [{ kind: 'text', text: '(' }, ...a, { kind: 'text', text: ')' }] };
        if (!this.eat(':')) return null;
        const b = this.prompt();
        if (!this.eat(')')) return null;
        return { kind: 'emph', children: [{ kind: 'text', text: '(' }, ...a, { kind: 'text', text: ':' }, ...b, { kind: 'text', text: ')' }] };
      });
    }
    return this.attempt(() => this.scheduled()) ?? this.attempt(() => this.alternate()) ?? this.attempt(() => this.squareEmphasis());
  }

  /** "[" [prompt ":"] prompt ":" [WHITESPACE] NUMBER [WHITESPACE] "]" */
  private scheduled(): Node | null {
    this.pos++;
    const first = this.prompt();
    if (!this.eat(':')) return null;
    const two = this.attempt((): Node | null => {
      const second = this.prompt();
      if (!this.eat(':')) return null;
      const when = this.number();
      return when === null ? null : { kind: 'sched', before: first, after: second, when, at: 0 };
    });
    if (two !== null) return two;
    const when = this.number();
    return when === null ? null : { kind: 'sched', before: null, after: first, when, at: 0 };
  }

  private number(): string | null {
    this.spaces();
    const m = NUMBER.exec(this.src.slice(this.pos));
    if (m === null) return null;
    this.pos += m[0].length;
    this.spaces();
    return this.eat(']') ? m[0] : null;
  }

  /** "[" prompt ("|" [prompt])+ "]" */
  private alternate(): Node | null {
    this.pos++;
    const options = [this.prompt()];
    let bars = 0;
    while (this.eat('|')) {
      options.push(this.prompt());
      bars++;
    }
    return bars > 0 && this.eat(']') ? { kind: 'alt', options } : null;
  }

  private squareEmphasis(): Node | null {
    this.pos++;
    const inner = this.prompt();
    return this.eat(']') ? { kind: 'emph', children: [{ kind: 'text', text: '[' }, ...inner, { kind: 'text', text: ']' }] } : null;
  }
}

/** [end step, text] pairs: text applies to sampler steps up to and including `end` (A1111's off-by-one kept). */
export type PromptSchedule = Array<[number, string]>;

export interface ScheduleSteps {
  steps: number;
  /** Hires pass: the first pass's steps, whole-number "when" values count on from it, fractions from 1. */
  hiresOf?: number | undefined;
}

function visit(nodes: readonly Node[], fn: (n: Node) => void): void {
  for (const n of nodes) {
    fn(n);
    if (n.kind === 'emph') visit(n.children, fn);
    if (n.kind === 'sched') {
      if (n.before) visit(n.before, fn);
      visit(n.after, fn);
    }
    if (n.kind === 'alt') for (const o of n.options) visit(o, fn);
  }
}

function textAt(nodes: readonly Node[], step: number): string {
  let out = '';
  for (const n of nodes) {
    if (n.kind === 'text') out += n.text;
    else if (n.kind === 'emph') out += textAt(n.children, step);
    else if (n.kind === 'sched') out += step <= n.at ? textAt(n.before ?? [], step) : textAt(n.after, step);
    else out += textAt(n.options[(step - 1) % n.options.length] ?? [], step);
  }
  return out;
}

/** get_learned_conditioning_prompt_schedules for one prompt. */
export function promptSchedule(prompt: string, at: ScheduleSteps): PromptSchedule {
  const { steps } = at;
  const intOffset = at.hiresOf ?? 0;
  const fltOffset = at.hiresOf === undefined ? 0 : 1;
  const tree = new Parser(prompt).start();
  if (tree === null) return [[steps, prompt]];
  const ends = new Set<number>([steps]);
  visit(tree, (n) => {
    if (n.kind === 'sched') {
      const v = Number.parseFloat(n.when);
      const raw = n.when.includes('.') ? (v - fltOffset) * steps : v - intOffset;
      n.at = Math.min(steps, Math.trunc(raw));
      if (n.at >= 1) ends.add(n.at);
    } else if (n.kind === 'alt') {
      for (let s = 1; s <= steps; s++) ends.add(s);
    }
  });
  return [...ends].sort((a, b) => a - b).map((end) => [end, textAt(tree, end)]);
}

/** One "AND" part of a prompt: its text and weight (A1111's re_weight). */
export interface AndPart {
  text: string;
  weight: number;
}

const RE_WEIGHT = /^([\s\S]*?)(?:\s*:\s*([-+]?(?:\d+\.?|\d*\.\d+)))?\s*$/;

/** get_multicond_prompt_list's split of one prompt on "AND". */
export function splitAnd(prompt: string): AndPart[] {
  return prompt.split(/\bAND\b/).map((sub) => {
    const m = RE_WEIGHT.exec(sub);
    return m === null ? { text: sub, weight: 1 } : { text: m[1] ?? '', weight: m[2] === undefined ? 1 : Number.parseFloat(m[2]) };
  });
}

/** The text each schedule selects for a 0-based sampler step. */
export function scheduledText(schedule: PromptSchedule, step: number): string {
  for (const [end, text] of schedule) if (step <= end) return text;
  return (schedule[schedule.length - 1] as [number, string])[1];
}
