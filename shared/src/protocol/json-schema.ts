import { z } from 'zod/v4';
import { PROTOCOL_VERSION } from './constants.js';
import { clientMessageSchema } from './client-messages.js';
import { schemaIds } from './schema-ids.js';
import { serverMessageSchema } from './server-messages.js';

/**
 * JSON Schema (draft 2020-12) of every message, generated from the zod schemas (written to
 * shared/schema/messages.schema.json). It says what zod checks structurally; the rules in
 * generate-rules.ts (mode inputs, limits) come on top and are described in PROTOCOL.md.
 */
export function buildMessagesJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(z.union([clientMessageSchema, serverMessageSchema]), {
    target: 'draft-2020-12',
    io: 'input',
    metadata: new ProtocolMetadata(),
  }) as Record<string, unknown>;
  const defs = (generated['$defs'] ?? {}) as Record<string, Record<string, unknown>>;
  const namedDefs: Record<string, unknown> = {};
  for (const name of Object.keys(defs).sort()) {
    // zod copies the registry id into the schema as "id", which is not a JSON Schema keyword.
    const { id: _id, ...rest } = defs[name] ?? {};
    namedDefs[name] = { title: name, ...rest };
  }
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: `urn:latent-bridge:protocol:${PROTOCOL_VERSION}:messages`,
    title: `latent-bridge protocol ${PROTOCOL_VERSION} messages`,
    description:
      'Any JSON text message of the latent-bridge WebSocket protocol. $defs/ClientMessage: client to server; $defs/ServerMessage: server to client. Semantic rules (which frames each generate mode needs, configurable limits) are in PROTOCOL.md.',
    protocol: PROTOCOL_VERSION,
    anyOf: generated['anyOf'],
    $defs: namedDefs,
  };
}

/** Descriptions from zod's global registry (where .describe() puts them) plus our $defs names. */
class ProtocolMetadata extends z.core.$ZodRegistry<z.core.GlobalMeta> {
  override get<S extends z.core.$ZodType>(schema: S): z.core.GlobalMeta | undefined {
    const described = z.globalRegistry.get(schema);
    const id = schemaIds.get(schema)?.id;
    if (id === undefined) return described;
    return { ...described, id };
  }
}
