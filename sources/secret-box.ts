// API tokens at rest: AES-256-GCM (node:crypto, no extra dependency) under a key read from a file. Each
// token gets a fresh 96-bit IV; the source id is the associated data, so a ciphertext copied onto
// another source's record does not decrypt. The key id (a hash prefix of the key) says which key
// sealed a token, so a wrong or rotated key is reported as such instead of as a corrupt record.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError, UserError } from '../lib/errors.ts';

export interface SealedToken {
  alg: 'A256GCM';
  keyId: string;
  /** base64 */
  iv: string;
  tag: string;
  data: string;
}

export interface SecretKey {
  readonly id: string;
  seal(plaintext: string, sourceId: string): SealedToken;
  open(sealed: SealedToken, sourceId: string): string;
}

/** A new key, as the key file holds it: 32 random bytes, base64. */
export function newKeyText(): string {
  return randomBytes(32).toString('base64');
}

function keyBytes(text: string): Buffer | undefined {
  const t = text.trim();
  if (/^[0-9a-f]{64}$/i.test(t)) return Buffer.from(t, 'hex');
  const b = Buffer.from(t, 'base64');
  return b.length === 32 && /^[A-Za-z0-9+/]+=*$/.test(t) ? b : undefined;
}

export function secretKey(bytes: Buffer): SecretKey {
  const id = createHash('sha256').update(bytes).digest('hex').slice(0, 12);
  return {
    id,
    seal(plaintext, sourceId) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', bytes, iv);
      cipher.setAAD(Buffer.from(sourceId));
      const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return {
        alg: 'A256GCM',
        keyId: id,
        iv: iv.toString('base64'),
        tag: cipher.getAuthTag().toString('base64'),
        data: data.toString('base64'),
      };
    },
    open(sealed, sourceId) {
      if (sealed.keyId !== id)
        throw new UserError(
          `The token of source ${sourceId} was encrypted with key ${sealed.keyId}, not with the configured key ${id}`,
          { hint: 'Point SOURCES_KEY_FILE at the key the sources were created with.' },
        );
      try {
        const decipher = createDecipheriv('aes-256-gcm', bytes, Buffer.from(sealed.iv, 'base64'));
        decipher.setAAD(Buffer.from(sourceId));
        decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
        return Buffer.concat([
          decipher.update(Buffer.from(sealed.data, 'base64')),
          decipher.final(),
        ]).toString('utf8');
      } catch (err) {
        throw new UserError(
          `The stored token of source ${sourceId} does not decrypt: the record was altered`,
          {
            hint: 'Set the credentials of the source again (PATCH /api/sources/{id} with a token).',
            cause: err,
          },
        );
      }
    },
  };
}

/** The key named by SOURCES_KEY_FILE: 32 bytes as base64 (what `sources new-key` prints) or 64 hex digits. */
export function loadKey(file: string): SecretKey {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(
      `SOURCES_KEY_FILE=${JSON.stringify(file)} cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      'Make a key with `npm run sources -- new-key > sources.key` and point SOURCES_KEY_FILE at it (keep it secret and backed up: stored tokens cannot be read without it).',
    );
  }
  const bytes = keyBytes(text);
  if (!bytes)
    throw new ConfigError(
      `SOURCES_KEY_FILE=${JSON.stringify(file)} does not hold a 256-bit key`,
      'The file must hold 32 bytes as base64 (44 characters) or as 64 hex digits: `npm run sources -- new-key` prints one.',
    );
  return secretKey(bytes);
}
