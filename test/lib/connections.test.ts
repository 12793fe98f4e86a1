// Secured connection settings: validated once with the addresses, secrets from files and scrubbed,
// URLs printable without their user info, and every mistake named with its variable.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { servicesConfig } from '../../lib/config.ts';
import { isTlsTrustFailure } from '../../lib/connections.ts';
import { ExitCode } from '../../lib/errors.ts';
import { scrub } from '../../lib/secrets.ts';

const dir = mkdtempSync(join(tmpdir(), 'cks-connections-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, `${text}\n`);
  return path;
};

function configError(env: Record<string, string>): { message: string; exitCode: number } {
  try {
    servicesConfig(env);
  } catch (err) {
    return err as { message: string; exitCode: number };
  }
  throw new Error('expected a config error');
}

describe('Kafka security', () => {
  it('defaults to PLAINTEXT without TLS or SASL', () => {
    expect(servicesConfig({}).kafkaSecurity).toEqual({ protocol: 'PLAINTEXT' });
  });

  it('SASL_SSL with SCRAM: password from a file, CA read, password scrubbed', () => {
    const cfg = servicesConfig({
      KAFKA_SECURITY_PROTOCOL: 'sasl_ssl',
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'pipeline',
      KAFKA_SASL_PASSWORD_FILE: file('kafka-password', 'kafka-password-in-a-file'),
      KAFKA_SSL_CA_FILE: file('ca.pem', '-----BEGIN CERTIFICATE-----'),
    });
    expect(cfg.kafkaSecurity).toEqual({
      protocol: 'SASL_SSL',
      tls: { ca: '-----BEGIN CERTIFICATE-----\n' },
      sasl: { mechanism: 'scram-sha-512', username: 'pipeline', password: 'kafka-password-in-a-file' },
    });
    expect(scrub('login with kafka-password-in-a-file failed')).toBe('login with [redacted] failed');
  });

  it('OAUTHBEARER names a token file, re-read at login', () => {
    const tokenFile = file('token', 'a.b.c-token-value');
    const cfg = servicesConfig({
      KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
      KAFKA_SASL_MECHANISM: 'OAUTHBEARER',
      KAFKA_SASL_OAUTHBEARER_TOKEN_FILE: tokenFile,
    });
    expect(cfg.kafkaSecurity.sasl).toEqual({ mechanism: 'oauthbearer', tokenFile });
  });

  it('names each inconsistent or missing setting, all at once', () => {
    const e = configError({
      KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
      KAFKA_SASL_MECHANISM: 'SCRAM-SHA-256',
      KAFKA_SSL_CERT_FILE: file('cert.pem', 'cert'),
    });
    expect(e.exitCode).toBe(ExitCode.config);
    expect(e.message).toContain('KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE go together');
    expect(e.message).toContain('KAFKA_SASL_USERNAME (not set)');
    expect(e.message).toContain('KAFKA_SASL_PASSWORD_FILE (not set)');
    expect(configError({ KAFKA_SASL_MECHANISM: 'PLAIN' }).message).toContain(
      'KAFKA_SASL_MECHANISM=PLAIN needs KAFKA_SECURITY_PROTOCOL=SASL_SSL',
    );
    expect(configError({ KAFKA_SECURITY_PROTOCOL: 'SASL_SSL' }).message).toContain(
      'KAFKA_SASL_MECHANISM (not set)',
    );
    expect(configError({ KAFKA_SECURITY_PROTOCOL: 'TLS' }).message).toContain(
      'must be one of PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL',
    );
    expect(configError({ KAFKA_SSL_CA_FILE: join(dir, 'missing.pem') }).message).toMatch(
      /KAFKA_SSL_CA_FILE=".*missing.pem" cannot be read: ENOENT/,
    );
  });
});

describe('schema registry access', () => {
  it('takes basic auth from variables, with a CA', () => {
    const cfg = servicesConfig({
      SCHEMA_REGISTRY_URL: 'https://registry.example.com:8081',
      SCHEMA_REGISTRY_USERNAME: 'api-key-id',
      SCHEMA_REGISTRY_PASSWORD_FILE: file('registry-password', 'registry-secret-value'),
      SCHEMA_REGISTRY_CA_FILE: file('registry-ca.pem', 'PEM'),
    });
    expect(cfg.registry).toEqual({
      url: 'https://registry.example.com:8081',
      auth: { username: 'api-key-id', password: 'registry-secret-value' },
      ca: 'PEM\n',
    });
    const header = Buffer.from('api-key-id:registry-secret-value').toString('base64');
    expect(scrub(`Authorization: Basic ${header}`)).toBe('Authorization: Basic [redacted]');
  });

  it('moves user info out of the URL, so the printed URL never carries the password', () => {
    const cfg = servicesConfig({ SCHEMA_REGISTRY_URL: 'https://me:url-password-123@registry.example.com/' });
    expect(cfg.schemaRegistryUrl).toBe('https://registry.example.com');
    expect(cfg.registry.auth).toEqual({ username: 'me', password: 'url-password-123' });
    expect(scrub('url-password-123')).toBe('[redacted]');
  });

  it('needs the user and the password together', () => {
    expect(configError({ SCHEMA_REGISTRY_USERNAME: 'me' }).message).toContain(
      'SCHEMA_REGISTRY_USERNAME and SCHEMA_REGISTRY_PASSWORD_FILE go together',
    );
  });
});

describe('Elasticsearch access', () => {
  it('API key from a file, CA file', () => {
    const cfg = servicesConfig({
      ELASTICSEARCH_URL: 'https://es.example.com:9200',
      ELASTICSEARCH_API_KEY_FILE: file('es-key', 'ZXMta2V5LWlkOmVzLWtleS1zZWNyZXQ='),
      ELASTICSEARCH_CA_FILE: file('es-ca.pem', 'PEM'),
    });
    expect(cfg.elasticsearch).toEqual({
      url: 'https://es.example.com:9200',
      node: 'https://es.example.com:9200',
      auth: { apiKey: 'ZXMta2V5LWlkOmVzLWtleS1zZWNyZXQ=' },
      ca: 'PEM\n',
    });
  });

  it('an Elastic Cloud id instead of a URL, user and password, a CA fingerprint with colons', () => {
    const cloudId = `prod:${Buffer.from('eu-west-1.aws.found.io:443$abc123$def456').toString('base64')}`;
    const cfg = servicesConfig({
      ELASTICSEARCH_CLOUD_ID: cloudId,
      ELASTICSEARCH_USERNAME: 'elastic',
      ELASTICSEARCH_PASSWORD_FILE: file('es-password', 'es-password-value'),
      ELASTICSEARCH_CA_FINGERPRINT: `${'ab:'.repeat(31)}ab`,
    });
    expect(cfg.elasticsearchUrl).toBe('https://abc123.eu-west-1.aws.found.io');
    expect(cfg.elasticsearch).toMatchObject({
      cloudId,
      auth: { username: 'elastic', password: 'es-password-value' },
      caFingerprint: 'AB'.repeat(32),
    });
    expect(cfg.elasticsearch.node).toBeUndefined();
  });

  it('refuses two ways at once, and a bad Cloud id or fingerprint, naming the variables', () => {
    const e = configError({
      ELASTICSEARCH_URL: 'https://es.example.com',
      ELASTICSEARCH_CLOUD_ID: `x:${Buffer.from('host.io$abc$def').toString('base64')}`,
      ELASTICSEARCH_API_KEY: 'an-api-key-value',
      ELASTICSEARCH_USERNAME: 'elastic',
      ELASTICSEARCH_PASSWORD: 'a-password-value',
    });
    expect(e.message).toContain('ELASTICSEARCH_URL and ELASTICSEARCH_CLOUD_ID are both set');
    expect(e.message).toContain('ELASTICSEARCH_API_KEY and a user name/password are both set');
    expect(configError({ ELASTICSEARCH_CLOUD_ID: 'nonsense' }).message).toContain(
      'ELASTICSEARCH_CLOUD_ID="nonsense": must be the Cloud ID',
    );
    expect(configError({ ELASTICSEARCH_CA_FINGERPRINT: 'abc' }).message).toContain('64 hex digits');
  });

  it('an invalid URL is shown without its password', () => {
    const e = configError({ ELASTICSEARCH_URL: 'es://elastic:hunter2-secret@' });
    expect(e.message).toContain('ELASTICSEARCH_URL=');
    expect(e.message).not.toContain('hunter2-secret');
  });
});

describe('isTlsTrustFailure', () => {
  it('finds an untrusted certificate however deep it is wrapped', () => {
    const tls = Object.assign(new Error('self-signed certificate in certificate chain'), {
      code: 'SELF_SIGNED_CERT_IN_CHAIN',
    });
    expect(isTlsTrustFailure(new Error('wrapped', { cause: tls }))).toBe(true);
    expect(isTlsTrustFailure(Object.assign(new Error('x'), { originalError: tls }))).toBe(true);
    expect(isTlsTrustFailure(new Error('connect ECONNREFUSED 127.0.0.1:9093'))).toBe(false);
  });
});
