// Secrets and key material given as files (tokens, passwords, PEM certificates and keys), read
// once at start with one-line errors, and the one constant-time comparison of secrets.
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { UsageError } from './errors.js';

/** A file's bytes (a PEM certificate or key); `what` names the flag or field in the error. */
export function readKeyFile(what: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new UsageError(`${what}: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** A secret kept in a file (a token, a password): its first line, which must not be empty. */
export function readSecretFile(what: string, file: string): string {
  const secret = readKeyFile(what, file).toString('utf8').split(/\r?\n/)[0]!.trim();
  if (secret === '') throw new UsageError(`${what}: ${file} is empty`);
  return secret;
}

/**
 * Whether `given` is `secret`, in a time that depends on neither where they differ nor their
 * lengths (both are hashed first).
 */
export function sameSecret(given: string, secret: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(given), digest(secret));
}
