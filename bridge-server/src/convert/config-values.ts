/**
 * Reading values out of parsed config files (config.json, LDM/SGM .yaml) of unknown shape, and
 * checking a stated value against what the tensors say.
 */
import { BridgeError } from '@latent-bridge/shared';

export type JsonObject = Readonly<Record<string, unknown>>;

export function asObject(value: unknown): JsonObject | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonObject) : undefined;
}

/** The value at a dotted path of nested objects, or undefined. */
export function at(value: unknown, path: string): unknown {
  let here: unknown = value;
  for (const part of path.split('.')) {
    const object = asObject(here);
    if (object === undefined) return undefined;
    here = object[part];
  }
  return here;
}

export function numberAt(value: unknown, path: string, where: string): number | undefined {
  const v = at(value, path);
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new BridgeError('model_invalid', `${where}: ${path} should be a number, is ${JSON.stringify(v)}`, path);
  return v;
}

export function stringAt(value: unknown, path: string, where: string): string | undefined {
  const v = at(value, path);
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new BridgeError('model_invalid', `${where}: ${path} should be a string, is ${JSON.stringify(v)}`, path);
  return v;
}

export function booleanAt(value: unknown, path: string, where: string): boolean | undefined {
  const v = at(value, path);
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw new BridgeError('model_invalid', `${where}: ${path} should be true or false, is ${JSON.stringify(v)}`, path);
  return v;
}

export function numberListAt(value: unknown, path: string, where: string): number[] | undefined {
  const v = at(value, path);
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'number')) {
    throw new BridgeError('model_invalid', `${where}: ${path} should be a list of numbers, is ${JSON.stringify(v)}`, path);
  }
  return v as number[];
}

/** A config value that the tensors also determine must agree with them. */
export function agree<T>(stated: T | undefined, fromTensors: T, field: string, where: string): T {
  if (stated !== undefined && JSON.stringify(stated) !== JSON.stringify(fromTensors)) {
    throw new BridgeError(
      'model_invalid',
      `${where} says ${field} is ${JSON.stringify(stated)}, but the weights have ${JSON.stringify(fromTensors)}`,
      field,
    );
  }
  return fromTensors;
}
