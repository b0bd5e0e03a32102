import { z } from 'zod/v4';

/**
 * Names of the schemas that become $defs in the JSON Schema export. They live in a registry of
 * our own: zod's global registry refuses a second schema with the same id, which would make
 * importing two copies of this package (or any other code naming a schema "Error") throw.
 */
export const schemaIds = z.registry<{ id: string }>();

export function named<T extends z.ZodType>(schema: T, id: string): T {
  schemaIds.add(schema, { id });
  return schema;
}
