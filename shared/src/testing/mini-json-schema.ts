/**
 * A small JSON Schema (2020-12) validator for the keywords messages.schema.json uses, so tests
 * can check the exported schema itself rather than trusting the generator. It throws on any
 * keyword it does not know, so a new keyword cannot be silently ignored.
 */
type Schema = Record<string, unknown> | boolean;

const ANNOTATIONS = new Set(['$schema', '$id', 'title', 'description', 'default', 'protocol', '$defs']);

export function validateJsonSchema(root: Record<string, unknown>, value: unknown): boolean {
  return check(root, root, value);
}

function check(root: Record<string, unknown>, schema: Schema, value: unknown): boolean {
  if (schema === true) return true;
  if (schema === false) return false;
  let ok = true;
  for (const [keyword, arg] of Object.entries(schema)) {
    if (ANNOTATIONS.has(keyword)) continue;
    ok = checkKeyword(root, schema, keyword, arg, value) && ok;
  }
  return ok;
}

function checkKeyword(root: Record<string, unknown>, schema: Record<string, unknown>, keyword: string, arg: unknown, value: unknown): boolean {
  switch (keyword) {
    case '$ref':
      return check(root, resolveRef(root, arg as string), value);
    case 'anyOf':
      return (arg as Schema[]).some((s) => check(root, s, value));
    case 'oneOf':
      return (arg as Schema[]).filter((s) => check(root, s, value)).length === 1;
    case 'type':
      return (Array.isArray(arg) ? (arg as string[]) : [arg as string]).some((t) => hasType(value, t));
    case 'const':
      return JSON.stringify(value) === JSON.stringify(arg);
    case 'enum':
      return (arg as unknown[]).some((v) => JSON.stringify(v) === JSON.stringify(value));
    case 'minimum':
      return typeof value !== 'number' || value >= (arg as number);
    case 'maximum':
      return typeof value !== 'number' || value <= (arg as number);
    case 'exclusiveMinimum':
      return typeof value !== 'number' || value > (arg as number);
    case 'exclusiveMaximum':
      return typeof value !== 'number' || value < (arg as number);
    case 'multipleOf':
      return typeof value !== 'number' || Number.isInteger(value / (arg as number));
    case 'minLength':
      return typeof value !== 'string' || [...value].length >= (arg as number);
    case 'maxLength':
      return typeof value !== 'string' || [...value].length <= (arg as number);
    case 'pattern':
      return typeof value !== 'string' || new RegExp(arg as string, 'u').test(value);
    case 'minItems':
      return !Array.isArray(value) || value.length >= (arg as number);
    case 'maxItems':
      return !Array.isArray(value) || value.length <= (arg as number);
    case 'items':
      return !Array.isArray(value) || value.every((v) => check(root, arg as Schema, v));
    case 'required':
      return !isObject(value) || (arg as string[]).every((k) => Object.prototype.hasOwnProperty.call(value, k));
    case 'properties':
      return !isObject(value) || Object.entries(arg as Record<string, Schema>).every(([k, s]) => !(k in value) || check(root, s, value[k]));
    case 'additionalProperties': {
      if (!isObject(value)) return true;
      const known = (schema['properties'] ?? {}) as Record<string, unknown>;
      return Object.keys(value).every((k) => k in known || check(root, arg as Schema, value[k]));
    }
    case 'propertyNames':
      return !isObject(value) || Object.keys(value).every((k) => check(root, arg as Schema, k));
    default:
      throw new Error(`mini-json-schema: unsupported keyword ${keyword}`);
  }
}

function resolveRef(root: Record<string, unknown>, ref: string): Schema {
  const prefix = '#/$defs/';
  if (!ref.startsWith(prefix)) throw new Error(`mini-json-schema: unsupported $ref ${ref}`);
  const target = (root['$defs'] as Record<string, Schema> | undefined)?.[ref.slice(prefix.length)];
  if (target === undefined) throw new Error(`mini-json-schema: dangling $ref ${ref}`);
  return target;
}

function hasType(value: unknown, type: string): boolean {
  switch (type) {
    case 'null':
      return value === null;
    case 'boolean':
      return typeof value === 'boolean';
    case 'string':
      return typeof value === 'string';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'array':
      return Array.isArray(value);
    case 'object':
      return isObject(value);
    default:
      throw new Error(`mini-json-schema: unknown type ${type}`);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
