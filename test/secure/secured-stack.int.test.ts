// The product on secured servers (`npm run stack -- up --secure`): Kafka over SASL_SSL with SCRAM and
// over mTLS, the schema registry behind basic auth over TLS, Elasticsearch behind an API key over TLS,
// all with a private CA. A full pull goes live through them; wrong credentials and an untrusted CA stop
// a service at start with a message that names the setting; no secret is in any log line or error.
import { spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { servicesConfig } from '../../lib/config.ts';
import { createElasticsearch, verifyElasticsearch } from '../../lib/elasticsearch.ts';
import { explain, type Explained } from '../../lib/cli.ts';
import { ExitCode, InfraError } from '../../lib/errors.ts';
import { createKafka } from '../../lib/kafka.ts';
import { ensureTopics } from '../../lib/kafka-topics.ts';
import { createCodecs } from '../../lib/registry.ts';
import { stageDeps, startService } from '../../lib/service.ts';
import { producerConfig } from '../../producer/config.ts';
import { runPull } from '../../producer/run.ts';
import { startTransformer, transformerConfig } from '../../transformer/service.ts';
import { startIndexer } from '../../indexer/service.ts';
import { indexerConfig } from '../../indexer/config.ts';
import { createRunStore } from '../../indexer/run-state.ts';
import { search } from '../../search/query.ts';
import { startSim, type SimHandle } from '../../sim/index.ts';
import { makeCertificates, mtlsEnv, secureFiles, secureStackUp } from '../../scripts/stack/secure-stack.ts';
import { captureLogger, expectedPageIds } from '../producer/helpers.ts';
import { cleanUp, runDecided } from '../indexer/fixtures.ts';
import { isolatedEnv } from '../stack/services.ts';

const SOURCE = 'secure-site';
let sim: SimHandle;
let env: Record<string, string>;
const scratch = mkdtempSync(join(tmpdir(), 'cks-secure-'));
const wrongFile = join(scratch, 'wrong-secret');
writeFileSync(wrongFile, 'not-the-password-at-all\n');
// A CA that signed none of the servers' certificates.
const otherCa = makeCertificates(join(scratch, 'other-ca')).ca;

/** Every secret of the secured stack and the site, raw and in the encodings that travel in headers. */
function secrets(): string[] {
  const raw = [
    secureFiles.kafkaPassword,
    secureFiles.brokerPassword,
    secureFiles.registryPassword,
    secureFiles.elasticsearchApiKey,
    secureFiles.elasticsearchPassword,
  ].map((f) => readFileSync(f, 'utf8').trim());
  raw.push(sim.token, 'not-the-password-at-all');
  return [
    ...raw,
    ...raw.map((s) => Buffer.from(s).toString('base64')),
    Buffer.from(`cks:${raw[2]}`).toString('base64'),
  ];
}

const expectNoSecret = (text: string) => {
  for (const secret of secrets()) expect(text).not.toContain(secret);
};

/** How the CLI explains the error `start` fails with (a typed InfraError); fails the test if it does not fail. */
async function startFailure(start: () => Promise<unknown>): Promise<Explained> {
  const err = await start().then(
    () => new Error('expected the start to fail'),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(InfraError);
  const failure = await explain(err);
  expectNoSecret(`${failure.message}\n${failure.hint}\n${String(((err as Error).cause as Error)?.message)}`);
  return failure;
}

beforeAll(async () => {
  const secured = await secureStackUp(inject('stack'), (line) => console.log(`[secure stack] ${line}`));
  sim = await startSim({ seed: 1212, spaces: 3, pages: 40 });
  env = isolatedEnv('secure', {
    ...secured,
    CONFLUENCE_BASE_URL: sim.baseUrl,
    CONFLUENCE_EMAIL: sim.email,
    CONFLUENCE_API_TOKEN: sim.token,
    SOURCE_ID: SOURCE,
    INDEXER_SWEEP_SECONDS: '1',
  });
});

afterAll(async () => {
  await sim?.close().catch(() => {});
  if (env) await cleanUp(servicesConfig(env));
});

describe('the secured stack', () => {
  it('a full pull goes live through SASL_SSL Kafka, the registry with basic auth and Elasticsearch with an API key, all over TLS', async () => {
    const { log, lines } = captureLogger();
    const transformer = await startTransformer(transformerConfig(env), { log, progressEvery: 0 });
    // The probes as the CLI serves them (lib/service.ts), with the indexer's dependency checks.
    const service = await startService('indexer', log, 0);
    const indexer = await startIndexer(indexerConfig(env), stageDeps(service, log));
    try {
      const pull = await runPull(producerConfig(env), { log });
      expect(pull.status, pull.error ?? '').toBe('SUCCEEDED');
      const cfg = servicesConfig(env);
      const es = createElasticsearch(cfg);
      try {
        const state = await runDecided(createRunStore(es, cfg.indexPrefix), pull.runId, 120_000);
        expect(state.status, state.reason ?? '').toBe('flipped');
        const alias = `${cfg.indexPrefix}-${SOURCE}`;
        const ids = (await es.search({ index: alias, size: 1000, _source: false })).hits.hits.map(
          (h) => h._id,
        );
        expect(ids.sort()).toEqual(expectedPageIds(sim));
        const found = await search(es, cfg.indexPrefix, {
          source: SOURCE,
          audience: 'agent',
          q: 'page',
          size: 5,
        });
        expect(found.results.length).toBeGreaterThan(0);
      } finally {
        await es.close();
      }
      const ready = await fetch(`http://127.0.0.1:${service.port}/readyz`);
      expect(await ready.json()).toMatchObject({
        status: 'ready',
        checks: { kafka: 'ok', elasticsearch: 'ok' },
      });
    } finally {
      await transformer.stop();
      await indexer.stop();
      await service.close();
    }
    expect(lines.length).toBeGreaterThan(10);
    expectNoSecret(lines.join('\n'));
  });

  it('Kafka also takes SCRAM-SHA-256, PLAIN and a client certificate (mTLS); the mTLS listener refuses a client without one', async () => {
    const { log } = captureLogger();
    const mtls = {
      ...mtlsEnv(),
      KAFKA_SASL_MECHANISM: '',
      KAFKA_SASL_USERNAME: '',
      KAFKA_SASL_PASSWORD_FILE: '',
    };
    for (const extra of [
      { KAFKA_SASL_MECHANISM: 'SCRAM-SHA-256' },
      { KAFKA_SASL_MECHANISM: 'PLAIN' },
      mtls,
    ]) {
      const cfg = servicesConfig({ ...env, ...extra });
      expect(await ensureTopics(createKafka(cfg, 'secure-test', log), cfg)).toBe(cfg.partitions);
    }
    const noCert = servicesConfig({ ...env, ...mtls, KAFKA_SSL_CERT_FILE: '', KAFKA_SSL_KEY_FILE: '' });
    const failure = await startFailure(() => ensureTopics(createKafka(noCert, 'secure-test', log), noCert));
    expect(failure.message).toMatch(/^Kafka is not reachable at localhost:\d+ \(SSL\)/);
  });

  it('a wrong Kafka password or an untrusted CA stops a service at start, naming the setting', async () => {
    const { log } = captureLogger();
    const badPassword = await startFailure(() =>
      startTransformer(transformerConfig({ ...env, KAFKA_SASL_PASSWORD_FILE: wrongFile }), { log }),
    );
    expect(badPassword.exitCode).toBe(ExitCode.auth);
    expect(badPassword.message).toContain('rejected the SASL login (SCRAM-SHA-512, KAFKA_SASL_USERNAME=cks)');
    expect(badPassword.hint).toContain('KAFKA_SASL_PASSWORD_FILE');

    for (const ca of [otherCa, '']) {
      const untrusted = await startFailure(() =>
        startTransformer(transformerConfig({ ...env, KAFKA_SSL_CA_FILE: ca }), { log }),
      );
      expect(untrusted.message).toContain('presented a TLS certificate we do not trust');
      expect(untrusted.hint).toContain('Set KAFKA_SSL_CA_FILE');
    }
  });

  it('a wrong registry password or an untrusted registry CA stops a service at start, naming the setting', async () => {
    const badPassword = await startFailure(() =>
      createCodecs(servicesConfig({ ...env, SCHEMA_REGISTRY_PASSWORD_FILE: wrongFile })),
    );
    expect(badPassword.exitCode).toBe(ExitCode.auth);
    expect(badPassword.message).toContain('refused our credentials (HTTP 401)');
    expect(badPassword.hint).toContain(
      'SCHEMA_REGISTRY_USERNAME=cks and the password in SCHEMA_REGISTRY_PASSWORD_FILE',
    );
    const untrusted = await startFailure(() =>
      createCodecs(servicesConfig({ ...env, SCHEMA_REGISTRY_CA_FILE: otherCa })),
    );
    expect(untrusted.hint).toContain('Set SCHEMA_REGISTRY_CA_FILE');
  });

  it('a wrong API key or an untrusted Elasticsearch CA stops the indexer at start; user/password and a CA fingerprint work', async () => {
    const { log } = captureLogger();
    const badKey = await startFailure(() =>
      startIndexer(indexerConfig({ ...env, ELASTICSEARCH_API_KEY_FILE: wrongFile }), { log }),
    );
    expect(badKey.exitCode).toBe(ExitCode.auth);
    expect(badKey.message).toMatch(
      /^Elasticsearch at https:\/\/localhost:\d+ refused our credentials \(HTTP 401\)/,
    );
    expect(badKey.hint).toContain('ELASTICSEARCH_API_KEY_FILE');
    const untrusted = await startFailure(() =>
      startIndexer(indexerConfig({ ...env, ELASTICSEARCH_CA_FILE: otherCa }), { log }),
    );
    expect(untrusted.hint).toContain('Set ELASTICSEARCH_CA_FILE');
    const otherFingerprint = new X509Certificate(readFileSync(otherCa)).fingerprint256;
    const wrongPin = await startFailure(() =>
      startIndexer(
        indexerConfig({ ...env, ELASTICSEARCH_CA_FILE: '', ELASTICSEARCH_CA_FINGERPRINT: otherFingerprint }),
        { log },
      ),
    );
    expect(wrongPin.hint).toContain('ELASTICSEARCH_CA_FINGERPRINT does not match');

    const fingerprint = new X509Certificate(readFileSync(secureFiles.ca)).fingerprint256;
    for (const extra of [
      {
        ELASTICSEARCH_API_KEY_FILE: '',
        ELASTICSEARCH_USERNAME: 'elastic',
        ELASTICSEARCH_PASSWORD_FILE: secureFiles.elasticsearchPassword,
      },
      { ELASTICSEARCH_CA_FILE: '', ELASTICSEARCH_CA_FINGERPRINT: fingerprint },
    ]) {
      const cfg = servicesConfig({ ...env, ...extra });
      const es = createElasticsearch(cfg);
      await verifyElasticsearch(es, cfg);
      expect((await es.cluster.health()).status).toMatch(/green|yellow/);
      await es.close();
    }
  });

  it('the CLI exits with the auth code and the hint, and prints no secret', async () => {
    const child = spawn(process.execPath, ['--disable-warning=TimeoutNegativeWarning', 'cli.ts', 'indexer'], {
      env: { ...process.env, ...env, ELASTICSEARCH_API_KEY_FILE: wrongFile, METRICS_PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code, output).toBe(ExitCode.auth);
    expect(output).toContain('hint: Check the API key in ELASTICSEARCH_API_KEY_FILE');
    expectNoSecret(output);
  });
});
