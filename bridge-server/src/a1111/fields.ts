/**
 * Request bodies as A1111's pydantic (v1) models read them: every field optional (None allowed),
 * missing fields take the model's default, unknown fields are ignored, and values are coerced the
 * way pydantic v1 coerces them ("7" → 7 for int, 1 → true for bool, 5 → "5" for str). Every bad
 * field is reported at once, as FastAPI's 422 lists them.
 */
import { A1111ValidationError, type ValidationIssue } from './errors.js';

export type FieldKind = 'str' | 'int' | 'float' | 'bool' | 'dict' | 'list' | 'str-list' | 'any';
export type FieldValue = string | number | boolean | null | FieldValue[] | { [key: string]: FieldValue };

export interface FieldSpec {
  name: string;
  kind: FieldKind;
  default: FieldValue;
}

const TRUE_WORDS = new Set(['1', 'on', 't', 'true', 'y', 'yes']);
const FALSE_WORDS = new Set(['0', 'off', 'f', 'false', 'n', 'no']);

type Coerced = { ok: true; value: FieldValue } | { ok: false; msg: string; type: string };

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** pydantic v1's validators for one value of a kind (null is handled by the caller: every field is Optional). */
export function coerce(kind: FieldKind, v: unknown): Coerced {
  switch (kind) {
    case 'str':
      if (typeof v === 'string') return { ok: true, value: v };
      if (typeof v === 'number' && Number.isFinite(v)) return { ok: true, value: String(v) };
      return { ok: false, msg: 'str type expected', type: 'type_error.str' };
    case 'int': {
      if (typeof v === 'boolean') return { ok: true, value: v ? 1 : 0 };
      if (typeof v === 'number' && Number.isFinite(v)) return { ok: true, value: Math.trunc(v) };
      if (typeof v === 'string' && /^\s*[+-]?\d+\s*$/.test(v)) return { ok: true, value: Number.parseInt(v, 10) };
      return { ok: false, msg: 'value is not a valid integer', type: 'type_error.integer' };
    }
    case 'float': {
      if (typeof v === 'boolean') return { ok: true, value: v ? 1 : 0 };
      if (typeof v === 'number' && Number.isFinite(v)) return { ok: true, value: v };
      if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return { ok: true, value: Number(v) };
      return { ok: false, msg: 'value is not a valid float', type: 'type_error.float' };
    }
    case 'bool': {
      if (typeof v === 'boolean') return { ok: true, value: v };
      if (v === 0 || v === 1) return { ok: true, value: v === 1 };
      if (typeof v === 'string') {
        const w = v.trim().toLowerCase();
        if (TRUE_WORDS.has(w)) return { ok: true, value: true };
        if (FALSE_WORDS.has(w)) return { ok: true, value: false };
      }
      return { ok: false, msg: 'value could not be parsed to a boolean', type: 'type_error.bool' };
    }
    case 'dict':
      return isPlainObject(v) ? { ok: true, value: v as { [key: string]: FieldValue } } : { ok: false, msg: 'value is not a valid dict', type: 'type_error.dict' };
    case 'list':
      return Array.isArray(v) ? { ok: true, value: v as FieldValue[] } : { ok: false, msg: 'value is not a valid list', type: 'type_error.list' };
    case 'str-list': {
      if (!Array.isArray(v)) return { ok: false, msg: 'value is not a valid list', type: 'type_error.list' };
      const out: string[] = [];
      for (const item of v) {
        const c = coerce('str', item);
        if (!c.ok) return c;
        out.push(c.value as string);
      }
      return { ok: true, value: out };
    }
    case 'any':
      return { ok: true, value: v as FieldValue };
  }
}

/**
 * Reads a JSON body against a field table. Returns every field in table order (the "parameters"
 * A1111 echoes), defaults filled in; throws A1111ValidationError listing every bad field.
 */
export function readModel(body: unknown, fields: readonly FieldSpec[], loc: Array<string | number> = ['body']): Record<string, FieldValue> {
  if (!isPlainObject(body)) {
    throw new A1111ValidationError([{ loc, msg: 'value is not a valid dict', type: 'type_error.dict' }]);
  }
  const out: Record<string, FieldValue> = {};
  const issues: ValidationIssue[] = [];
  for (const f of fields) {
    if (!Object.prototype.hasOwnProperty.call(body, f.name)) {
      out[f.name] = structuredClone(f.default);
      continue;
    }
    const v = body[f.name];
    if (v === null || v === undefined) {
      out[f.name] = null;
      continue;
    }
    const c = coerce(f.kind, v);
    if (c.ok) out[f.name] = c.value;
    else issues.push({ loc: [...loc, f.name], msg: c.msg, type: c.type });
  }
  if (issues.length > 0) throw new A1111ValidationError(issues);
  return out;
}

/** Typed reads of a model already validated by readModel (null → the fallback given). */
export class Fields {
  constructor(readonly values: Readonly<Record<string, FieldValue>>) {}

  str(name: string, fallback: string): string {
    const v = this.values[name];
    return typeof v === 'string' ? v : fallback;
  }

  optStr(name: string): string | undefined {
    const v = this.values[name];
    return typeof v === 'string' ? v : undefined;
  }

  num(name: string, fallback: number): number {
    const v = this.values[name];
    return typeof v === 'number' ? v : fallback;
  }

  optNum(name: string): number | undefined {
    const v = this.values[name];
    return typeof v === 'number' ? v : undefined;
  }

  bool(name: string, fallback: boolean): boolean {
    const v = this.values[name];
    return typeof v === 'boolean' ? v : fallback;
  }

  optBool(name: string): boolean | undefined {
    const v = this.values[name];
    return typeof v === 'boolean' ? v : undefined;
  }

  list(name: string): FieldValue[] {
    const v = this.values[name];
    return Array.isArray(v) ? v : [];
  }

  strings(name: string): string[] {
    return this.list(name).filter((x): x is string => typeof x === 'string');
  }

  dict(name: string): Record<string, FieldValue> {
    const v = this.values[name];
    return isPlainObject(v) ? (v as Record<string, FieldValue>) : {};
  }
}
