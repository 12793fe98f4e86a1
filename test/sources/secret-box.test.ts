import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, UserError } from '../../lib/errors.ts';
import { loadKey, newKeyText } from '../../sources/secret-box.ts';

const keyFile = (text: string) => {
  const file = join(mkdtempSync(join(tmpdir(), 'key-')), 'k');
  writeFileSync(file, text);
  return file;
};

describe('secret box (AES-256-GCM)', () => {
  const key = loadKey(keyFile(newKeyText()));

  it('round-trips a token and never shows it in the sealed form', () => {
    const sealed = key.seal('my-very-secret-api-token', 'acme');
    expect(JSON.stringify(sealed)).not.toContain('my-very-secret');
    expect(JSON.stringify(sealed)).not.toContain(Buffer.from('my-very-secret-api-token').toString('base64'));
    expect(key.open(sealed, 'acme')).toBe('my-very-secret-api-token');
    expect(key.seal('my-very-secret-api-token', 'acme').iv).not.toBe(sealed.iv);
  });

  it('refuses a ciphertext moved to another source, or altered', () => {
    const sealed = key.seal('token-token-token', 'acme');
    expect(() => key.open(sealed, 'other')).toThrow(/does not decrypt/);
    const data = Buffer.from(sealed.data, 'base64');
    data[0] = data[0]! ^ 1;
    expect(() => key.open({ ...sealed, data: data.toString('base64') }, 'acme')).toThrow(UserError);
  });

  it('says so when the token was sealed under another key', () => {
    const other = loadKey(keyFile(newKeyText()));
    expect(() => other.open(key.seal('token-token-token', 'acme'), 'acme')).toThrow(
      /with key .* not with the configured key/,
    );
  });

  it('accepts hex keys, and names the variable and the fix for a bad or missing file', () => {
    expect(loadKey(keyFile('ab'.repeat(32))).id).toMatch(/^[0-9a-f]{12}$/);
    expect(() => loadKey(keyFile('too short'))).toThrow(ConfigError);
    expect(() => loadKey(keyFile('too short'))).toThrow(/SOURCES_KEY_FILE=.* does not hold a 256-bit key/);
    expect(() => loadKey('/nonexistent/key')).toThrow(/SOURCES_KEY_FILE=.*cannot be read: ENOENT/);
  });
});
