/**
 * A small JSON Schema checker for the keywords manifest.schema.json uses: type, const, enum,
 * pattern, minLength, minimum, required, properties, additionalProperties (boolean), items,
 * minItems, uniqueItems, oneOf, $ref to "#/$defs/…". Returns problems as "path: message".
 */
export type Schema = { [key: string]: unknown };

export function checkJsonSchema(value: unknown, schema: Schema, root: Schema = schema, at = '$'): string[] {
  const problems: string[] = [];
  const ref = schema['$ref'];
  if (typeof ref === 'string') {
    const name = ref.replace(/^#\/\$defs\//, '');
    const target = (root['$defs'] as Record<string, Schema> | undefined)?.[name];
    if (!target) return [`${at}: unresolvable $ref ${ref}`];
    return checkJsonSchema(value, target, root, at);
  }
  if ('const' in schema && JSON.stringify(value) !== JSON.stringify(schema['const'])) problems.push(`${at}: must be ${JSON.stringify(schema['const'])}`);
  const enumValues = schema['enum'];
  if (Array.isArray(enumValues) && !enumValues.some((e) => JSON.stringify(e) === JSON.stringify(value))) {
    problems.push(`${at}: must be one of ${enumValues.map((e) => JSON.stringify(e)).join(', ')}`);
  }
  const type = schema['type'];
  if (typeof type === 'string' && !hasType(value, type)) return [...problems, `${at}: must be ${type}`];
  if (typeof value === 'string') {
    if (typeof schema['minLength'] === 'number' && value.length < schema['minLength']) problems.push(`${at}: too short`);
    if (typeof schema['pattern'] === 'string' && !new RegExp(schema['pattern'], 'u').test(value)) problems.push(`${at}: does not match ${schema['pattern']}`);
  }
  if (typeof value === 'number' && typeof schema['minimum'] === 'number' && value < schema['minimum']) problems.push(`${at}: below ${schema['minimum']}`);
  if (Array.isArray(value)) {
    if (typeof schema['minItems'] === 'number' && value.length < schema['minItems']) problems.push(`${at}: needs at least ${schema['minItems']} items`);
    if (schema['uniqueItems'] === true && new Set(value.map((v) => JSON.stringify(v))).size !== value.length) problems.push(`${at}: items must be unique`);
    const items = schema['items'];
    if (isSchema(items)) value.forEach((item, i) => problems.push(...checkJsonSchema(item, items, root, `${at}[${i}]`)));
  }
  if (isObject(value)) {
    const required = schema['required'];
    if (Array.isArray(required)) for (const key of required) if (typeof key === 'string' && !(key in value)) problems.push(`${at}: missing ${key}`);
    const properties = isSchema(schema['properties']) ? (schema['properties'] as Record<string, Schema>) : {};
    for (const [key, child] of Object.entries(value)) {
      const sub = properties[key];
      if (sub) problems.push(...checkJsonSchema(child, sub, root, `${at}.${key}`));
      else if (schema['additionalProperties'] === false) problems.push(`${at}: unknown property ${key}`);
    }
  }
  const oneOf = schema['oneOf'];
  if (Array.isArray(oneOf)) {
    const passing = oneOf.filter((s) => isSchema(s) && checkJsonSchema(value, s, root, at).length === 0).length;
    if (passing !== 1) problems.push(`${at}: must match exactly one alternative (matched ${passing})`);
  }
  return problems;
}

function hasType(value: unknown, type: string): boolean {
  switch (type) {
    case 'object':
      return isObject(value);
    case 'array':
      return Array.isArray(value);
    case 'integer':
      return Number.isInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    default:
      return typeof value === type;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isSchema(value: unknown): value is Schema {
  return isObject(value);
}
