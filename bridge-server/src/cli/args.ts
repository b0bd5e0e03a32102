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

/** A CLI option that must be one of `choices`. */
export function choiceOption<T extends string>(name: string, raw: string | undefined, choices: readonly T[]): T | undefined {
  if (raw === undefined) return undefined;
  if (!(choices as readonly string[]).includes(raw)) throw invalidField(name, `--${name} must be ${choices.join(' or ')}, got "${raw}"`);
  return raw as T;
}

/** --variation-seed and --variation-strength, which only mean something together. */
export function variationOption(seedRaw: string | undefined, strengthRaw: string | undefined): { seed: number; strength: number } | undefined {
  const seed = numberOption('variation-seed', seedRaw);
  const strength = numberOption('variation-strength', strengthRaw);
  if (seed === undefined && strength === undefined) return undefined;
  if (seed === undefined) throw invalidField('variation-seed', '--variation-strength needs --variation-seed N');
  if (strength === undefined) throw invalidField('variation-strength', '--variation-seed needs --variation-strength S (0..1)');
  return { seed, strength };
}

/** Numeric options among `names`, parsed, absent ones left out. */
export function numericOptions<K extends string>(values: Partial<Record<K, string | boolean | undefined>>, names: readonly K[]): Partial<Record<K, number>> {
  const out: Partial<Record<K, number>> = {};
  for (const name of names) {
    const raw = values[name];
    const n = numberOption(name, typeof raw === 'string' ? raw : undefined);
    if (n !== undefined) out[name] = n;
  }
  return out;
}

/**
 * --keep-sessions or LATENT_BRIDGE_KEEP_SESSIONS=1: keep every model session open through decodes
 * (LoadOptions.residency 'resident'), trading memory for the background reopens lean mode makes.
 */
export function residencyOption(flag: boolean | undefined, env: NodeJS.ProcessEnv): { residency: 'resident' } | Record<string, never> {
  const raw = env['LATENT_BRIDGE_KEEP_SESSIONS'];
  if (raw !== undefined && raw !== '' && raw !== '0' && raw !== '1') throw invalidField('LATENT_BRIDGE_KEEP_SESSIONS', `must be 0 or 1, got "${raw}"`);
  return flag === true || raw === '1' ? { residency: 'resident' } : {};
}
