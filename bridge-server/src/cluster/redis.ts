import { BridgeError, invalidField } from '@latent-bridge/shared';
import { Redis, type RedisOptions } from 'ioredis';

/**
 * Connection options from a `redis://[user:password@]host:port[/db]` URL (rediss:// for TLS).
 * Commands wait through a Redis restart instead of failing (maxRetriesPerRequest null, as BullMQ
 * requires for workers), and reconnects back off up to two seconds.
 */
/** What both ioredis and BullMQ take (BullMQ opens its own connections from it). */
export interface ConnectionSettings {
  host: string;
  port: number;
  db: number;
  username?: string;
  password?: string;
  tls?: Record<string, never>;
  maxRetriesPerRequest: null;
  retryStrategy: (times: number) => number;
}

export function redisOptions(url: string, field = 'queue'): ConnectionSettings {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalidField(field, `"${url}" is not a URL; give redis://host:port`);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') throw invalidField(field, `"${url}" is not a redis:// or rediss:// URL`);
  const db = parsed.pathname.length > 1 ? Number(parsed.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0) throw invalidField(field, `"${parsed.pathname}" is not a database number`);
  return {
    host: parsed.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1',
    port: parsed.port === '' ? 6379 : Number(parsed.port),
    db,
    ...(parsed.username !== '' ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password !== '' ? { password: decodeURIComponent(parsed.password) } : {}),
    ...(parsed.protocol === 'rediss:' ? { tls: {} } : {}),
    maxRetriesPerRequest: null,
    retryStrategy: (times: number) => Math.min(100 * times, 2000),
  };
}

/** A connection of our own (blobs, registry, pub/sub); BullMQ opens its own from the same options. */
export function openRedis(options: ConnectionSettings, name: string): Redis {
  const settings: RedisOptions = { ...options, connectionName: name };
  const redis = new Redis(settings);
  // Reconnects are ioredis's job; an error event without a listener would crash the process.
  redis.on('error', () => undefined);
  return redis;
}

/**
 * Binary values with an expiry: request images and results go through these, never as base64
 * in job JSON. Sizes are checked on the way in and on the way out.
 */
export class BlobStore {
  constructor(
    private readonly redis: Redis,
    private readonly ttlMs: number,
    private readonly maxBytes: number,
  ) {}

  async put(key: string, bytes: Uint8Array, field: string): Promise<number> {
    if (bytes.length > this.maxBytes) {
      throw new BridgeError('limit_exceeded', `${field}: ${bytes.length} bytes is over the queue's limit of ${this.maxBytes}`, field);
    }
    await this.redis.set(key, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), 'PX', this.ttlMs);
    return bytes.length;
  }

  /** The bytes at `key`, which must be exactly `bytes` long. */
  async get(key: string, bytes: number, field: string): Promise<Buffer> {
    if (bytes > this.maxBytes) throw new BridgeError('limit_exceeded', `${field}: ${bytes} bytes is over the queue's limit of ${this.maxBytes}`, field);
    const value = await this.redis.getBuffer(key);
    if (value === null) throw new BridgeError('internal', `${field}: its bytes expired from the queue (after ${this.ttlMs} ms) before they were used`, field);
    if (value.length !== bytes) throw new BridgeError('internal', `${field}: the queue holds ${value.length} bytes, not the ${bytes} announced`, field);
    return value;
  }

  async delete(keys: readonly string[]): Promise<void> {
    if (keys.length > 0) await this.redis.del(...keys);
  }
}
