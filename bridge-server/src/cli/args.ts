import { invalidField } from '@latent-bridge/shared';

/** Parses a numeric CLI option, naming the option in the error. */
export function numberOption(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value)) throw invalidField(name, `--${name} must be a number, got "${raw}"`);
  return value;
}

export function requireOption(name: string, raw: string | undefined): string {
  if (raw === undefined || raw === '') throw invalidField(name, `--${name} is required`);
  return raw;
}
