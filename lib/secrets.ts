// Every secret the process reads is registered here, so that anything written out (logs, errors,
// crash output) can be scrubbed of it, whatever path it took to get there. Secrets are read here too:
// from a variable or from the file a `<NAME>_FILE` variable names (a mounted Kubernetes secret), never argv.
import { readFileSync } from 'node:fs';
import { ConfigError } from './errors.ts';

const secrets = new Set<string>();

export function registerSecret(value: string | undefined): void {
  // Very short values would redact ordinary words; real API tokens are long.
  if (value && value.length >= 8) {
    secrets.add(value);
    secrets.add(Buffer.from(value).toString('base64'));
  }
}

export function scrub(text: string): string {
  let out = text;
  for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join('[redacted]');
  return out;
}

/** Basic-auth headers embed the secret base64-encoded together with the user name. */
export function registerBasicAuth(user: string, secret: string): string {
  const header = Buffer.from(`${user}:${secret}`).toString('base64');
  registerSecret(secret);
  secrets.add(header);
  return `Basic ${header}`;
}

type Env = Record<string, string | undefined>;

/**
 * The secret in `name`, or in the file `${name}_FILE` names (trimmed), registered for scrubbing;
 * undefined when neither is set. Both at once, an unreadable or an empty file are config errors.
 */
export function readSecret(env: Env, name: string): string | undefined {
  const direct = env[name]?.trim();
  const file = env[`${name}_FILE`]?.trim();
  if (direct && file) {
    throw new ConfigError(
      `Both ${name} and ${name}_FILE are set`,
      'Set only one: the secret itself, or the path of a file holding it.',
    );
  }
  let value = direct;
  if (file) {
    try {
      value = readFileSync(file, 'utf8').trim();
    } catch (err) {
      throw new ConfigError(
        `${name}_FILE=${JSON.stringify(file)} cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
        `Point it at a readable file that holds the secret (e.g. a mounted Kubernetes secret).`,
      );
    }
    if (!value) throw new ConfigError(`${name}_FILE=${JSON.stringify(file)} is empty`);
  }
  registerSecret(value);
  return value || undefined;
}

/** A non-secret file the config names (a CA or a client certificate), read once at start. */
export function readConfigFile(env: Env, name: string): string | undefined {
  const file = env[name]?.trim();
  if (!file) return undefined;
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(
      `${name}=${JSON.stringify(file)} cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      'Point it at a readable PEM file (e.g. a mounted Kubernetes secret or config map).',
    );
  }
}

/** Data Center personal access tokens travel as `Bearer <token>`. */
export function registerBearerAuth(token: string): string {
  registerSecret(token);
  return `Bearer ${token}`;
}
