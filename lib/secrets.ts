// Every secret the process reads is registered here, so that anything written out (logs, errors,
// crash output) can be scrubbed of it, whatever path it took to get there.
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

/** Basic-auth headers embed the token base64-encoded together with the email. */
export function registerBasicAuth(email: string, token: string): string {
  const header = Buffer.from(`${email}:${token}`).toString('base64');
  registerSecret(token);
  secrets.add(header);
  return `Basic ${header}`;
}
