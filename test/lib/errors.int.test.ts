// Real failures from the real registry and Elasticsearch arrive typed, and the CLI explains them.
import { spawnSync } from 'node:child_process';
import { createServer, type Socket } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { createElasticsearch, elasticsearchError } from '../../lib/elasticsearch.ts';
import {
  ElasticsearchRefusedError,
  ElasticsearchUnreachableError,
  ExitCode,
  RegistryUnreachableError,
  SchemaIncompatibleError,
} from '../../lib/errors.ts';
import { createCodecs } from '../../lib/registry.ts';
import { isolatedConfig, isolatedEnv } from '../stack/services.ts';

const failure = async (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    () => {
      throw new Error('expected a failure');
    },
    (err: unknown) => err,
  );

describe('schema registry', () => {
  const cfg = isolatedConfig('err-registry');
  const subject = `${cfg.topics.htmlPages}-value`;
  const api = (path: string, init?: RequestInit) =>
    fetch(`${cfg.schemaRegistryUrl}${path}`, {
      ...init,
      headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
    });
  afterAll(async () => {
    await api(`/subjects/${subject}`, { method: 'DELETE' });
    await api(`/subjects/${subject}?permanent=true`, { method: 'DELETE' });
  });

  it('a subject holding a schema ours cannot follow is SchemaIncompatibleError, naming the subject', async () => {
    // Someone else's record on our topic name, under BACKWARD compatibility.
    const theirs = { type: 'record', name: 'Other', fields: [{ name: 'x', type: 'string' }] };
    expect(
      (
        await api(`/subjects/${subject}/versions`, {
          method: 'POST',
          body: JSON.stringify({ schema: JSON.stringify(theirs) }),
        })
      ).ok,
    ).toBe(true);
    await api(`/config/${subject}`, { method: 'PUT', body: JSON.stringify({ compatibility: 'BACKWARD' }) });
    const err = await failure(createCodecs(cfg));
    expect(err).toBeInstanceOf(SchemaIncompatibleError);
    expect(err).toMatchObject({ code: 'CKS_SCHEMA_INCOMPATIBLE', retriable: false, subject });
  });

  it('a registry that does not answer is RegistryUnreachableError', async () => {
    const err = await failure(
      createCodecs(isolatedConfig('err-registry-down', { SCHEMA_REGISTRY_URL: 'http://127.0.0.1:1' })),
    );
    expect(err).toBeInstanceOf(RegistryUnreachableError);
    expect(err).toMatchObject({
      code: 'CKS_REGISTRY_UNREACHABLE',
      retriable: true,
      where: 'http://127.0.0.1:1',
    });
  });

  it('a registry that accepts the connection and never answers is RegistryUnreachableError, not a hang', async () => {
    const sockets: Socket[] = [];
    const silent = createServer((socket) => void sockets.push(socket)); // reads the request, never answers
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(silent.address() as { port: number }).port}`;
    try {
      const err = await failure(
        createCodecs(isolatedConfig('err-registry-silent', { SCHEMA_REGISTRY_URL: url }), {
          requestTimeoutMs: 500,
        }),
      );
      expect(err).toBeInstanceOf(RegistryUnreachableError);
      expect(err).toMatchObject({ code: 'CKS_REGISTRY_UNREACHABLE', where: url });
      expect(sockets.length).toBeGreaterThan(0);
    } finally {
      sockets.forEach((s) => s.destroy());
      silent.close();
    }
  });
});

describe('Elasticsearch', () => {
  it('a refusal carries its status and type; no answer is unreachable', async () => {
    const cfg = isolatedConfig('err-es');
    const es = createElasticsearch(cfg);
    try {
      const missing = elasticsearchError(
        cfg,
        await failure(es.indices.get({ index: `${cfg.indexPrefix}-none` })),
      );
      expect(missing).toBeInstanceOf(ElasticsearchRefusedError);
      expect(missing).toMatchObject({ status: 404, type: 'index_not_found_exception', retriable: false });
    } finally {
      await es.close();
    }
    const downCfg = isolatedConfig('err-es-down', { ELASTICSEARCH_URL: 'http://127.0.0.1:1' });
    const down = createElasticsearch(downCfg);
    try {
      const err = elasticsearchError(downCfg, await failure(down.ping()));
      expect(err).toBeInstanceOf(ElasticsearchUnreachableError);
    } finally {
      await down.close();
    }
  });

  it('`ops runs` against a cluster that does not answer exits 4 with the address and a hint', () => {
    const r = spawnSync(process.execPath, ['cli.ts', 'ops', 'runs'], {
      env: { ...process.env, ...isolatedEnv('err-cli', { ELASTICSEARCH_URL: 'http://127.0.0.1:1' }) },
      encoding: 'utf8',
      timeout: 90_000,
    });
    expect(r.stderr).toContain('error: Elasticsearch is not reachable at http://127.0.0.1:1');
    expect(r.stderr).toContain('hint: ');
    expect(r.stderr).toContain('ELASTICSEARCH_URL');
    expect(r.status).toBe(ExitCode.network);
  }, 120_000);
});
