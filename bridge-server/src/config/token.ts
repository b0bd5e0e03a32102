import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { BridgeError } from '@latent-bridge/shared';

export const TOKEN_FILE = 'token';

/** A fresh token: 32 random bytes, base64url (43 characters, safe in JSON and HTTP headers). */
export function generateToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * The token stored in `configDir`, created on first use. The file is written owner-only (0600)
 * because anyone who can read it can drive the bridge.
 */
export async function loadOrCreateToken(configDir: string): Promise<string> {
  const file = path.join(configDir, TOKEN_FILE);
  const existing = await readToken(file);
  if (existing !== undefined) return existing;
  await mkdir(configDir, { recursive: true, mode: 0o700 });
  const token = generateToken();
  try {
    // 'wx' so two servers starting at once cannot overwrite each other's token.
    await writeFile(file, `${token}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    const raced = await readToken(file);
    if (raced !== undefined) return raced;
    throw new BridgeError('internal', `Cannot write the token file ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  // The umask may have masked the mode; make sure nobody else can read it.
  await chmod(file, 0o600).catch(() => undefined);
  return token;
}

async function readToken(file: string): Promise<string | undefined> {
  const text = await readFile(file, 'utf8').catch(() => undefined);
  const token = text?.trim();
  return token === undefined || token === '' ? undefined : token;
}

/**
 * Compares a presented token with the real one in constant time. Both sides are hashed first so
 * the comparison neither leaks the length nor needs equal-length inputs.
 */
export function tokenMatches(presented: string | undefined, expected: string): boolean {
  if (typeof presented !== 'string') return false;
  const a = createHash('sha256').update(presented, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}
