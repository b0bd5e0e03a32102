/**
 * Several checkpoint files read as one (a sharded `model-00001-of-00002.safetensors` set): each key
 * is served by the file that holds it; a key held twice is a broken shard set.
 */
import { BridgeError } from '@latent-bridge/shared';
import type { TensorEntry, TensorSource } from '../checkpoint/tensor-source.js';

export class MergedSource implements TensorSource {
  readonly file: string;
  readonly metadata: Readonly<Record<string, string>>;
  private readonly owners = new Map<string, TensorSource>();

  constructor(private readonly parts: readonly TensorSource[]) {
    this.file = parts.length === 1 ? (parts[0]?.file ?? '') : `${parts[0]?.file ?? ''} (+${parts.length - 1} shards)`;
    this.metadata = parts[0]?.metadata ?? {};
    for (const part of parts) {
      for (const key of part.keys()) {
        const earlier = this.owners.get(key);
        if (earlier !== undefined) throw new BridgeError('model_invalid', `${key} is in both ${earlier.file} and ${part.file}`, key);
        this.owners.set(key, part);
      }
    }
  }

  keys(): readonly string[] {
    return [...this.owners.keys()];
  }

  entry(key: string): TensorEntry | undefined {
    return this.owners.get(key)?.entry(key);
  }

  readRaw(key: string): Promise<Uint8Array> {
    return this.owner(key).readRaw(key);
  }

  readFloat32(key: string): Promise<Float32Array> {
    return this.owner(key).readFloat32(key);
  }

  async close(): Promise<void> {
    for (const part of this.parts) await part.close();
  }

  private owner(key: string): TensorSource {
    const owner = this.owners.get(key);
    if (owner === undefined) throw new BridgeError('model_invalid', `${this.file} has no tensor ${key}`, key);
    return owner;
  }
}
