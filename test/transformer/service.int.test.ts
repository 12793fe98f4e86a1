// The transformer service on the real stack: raw run in, HTML run out in partition order with its
// markers; a page the converter rejects is accounted for; a stop or a crash mid-stream loses nothing.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { createKafka, partitionOf, type Kafka, type Producer } from '../../lib/kafka.ts';
import { ensureTopics } from '../../lib/kafka-topics.ts';
import { createLogger } from '../../lib/log.ts';
import { createCodecs, type Codecs } from '../../lib/registry.ts';
import { newRunId } from '../../lib/run-id.ts';
import type { HtmlPageEvent, RawPage, Space } from '../../schemas/index.ts';
import { startTransformer, transformerConfig, type TransformerConfig } from '../../transformer/service.ts';
import { isolatedEnv } from '../stack/services.ts';
import { ENG, rawPage, rawRunWriter, readUntil, type Read } from './service-helpers.ts';

const log = createLogger('test', { test: 'transformer-service' });
log.level = 'warn';
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
});

interface Stack {
  env: Record<string, string>;
  cfg: TransformerConfig;
  kafka: Kafka;
  codecs: Codecs;
  producer: Producer;
}

async function stack(name: string): Promise<Stack> {
  // A killed instance's partitions are taken over after the session timeout: keep it short here.
  const env = isolatedEnv(name, { TRANSFORMER_SESSION_TIMEOUT_MS: '6000' });
  const cfg = transformerConfig(env);
  const kafka = createKafka(cfg, `test-${name}`, log);
  await ensureTopics(kafka, cfg);
  const codecs = await createCodecs(cfg);
  const producer = kafka.producer();
  await producer.connect();
  cleanups.push(async () => {
    await producer.disconnect();
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: Object.values(cfg.topics) });
    await admin.disconnect();
  });
  return { env, cfg, kafka, codecs, producer };
}

const body = (id: string) =>
  `<p>Page ${id} has <strong>bold</strong> text<script>alert(1)</script></p>` +
  `<ac:structured-macro ac:name="code"><ac:plain-text-body><![CDATA[if (a < b) {}]]></ac:plain-text-body></ac:structured-macro>`;
const ids = (from: number, n: number) => Array.from({ length: n }, (_, i) => String(from + i));
const readHtml = (s: Stack, enough: (r: Read<HtmlPageEvent>[]) => boolean) =>
  readUntil(s.kafka, s.cfg.topics.htmlPages, (b) => s.codecs.htmlPages.decode(b), enough);
const endsSeen = (partitions: number) => (records: Read<HtmlPageEvent>[]) =>
  records.filter((r) => r.value.marker?.kind === 'END').length >= partitions;
const pageIdOf = (e: HtmlPageEvent) => e.page?.pageId ?? e.failure?.pageId ?? null;

/**
 * Per partition: START first, every page of the partition at least once, and END only after the last
 * page (a restart may repeat what was written but not yet committed, START included).
 */
function expectRunInOrder(records: Read<HtmlPageEvent>[], pageIds: string[], partitions: number): void {
  for (let p = 0; p < partitions; p++) {
    const mine = records.filter((r) => r.partition === p).map((r) => r.value);
    expect(mine[0]?.marker?.kind).toBe('START');
    const lastPage = mine.findLastIndex((e) => e.marker === null);
    const firstEnd = mine.findIndex((e) => e.marker?.kind === 'END');
    expect(firstEnd).toBeGreaterThan(lastPage);
    const pages = mine.filter((e) => e.marker === null).map(pageIdOf);
    expect(new Set(pages)).toEqual(new Set(pageIds.filter((id) => partitionOf(id, partitions) === p)));
  }
}

/** A new run of source `acme` written to the stack's raw topic. */
const newRawRun = (s: Stack) =>
  rawRunWriter(s.producer, s.codecs.rawPages, {
    runId: newRunId(),
    sourceId: 'acme',
    partitions: s.cfg.partitions,
  });

/** The group's committed offset on every raw partition is the partition's end: nothing left to redo. */
async function expectAllCommitted(s: Stack): Promise<void> {
  const admin = s.kafka.admin();
  await admin.connect();
  const [committed] = await admin.fetchOffsets({ groupId: s.cfg.groupId, topics: [s.cfg.topics.rawPages] });
  const ends = await admin.fetchTopicOffsets(s.cfg.topics.rawPages);
  await admin.disconnect();
  expect(committed!.partitions.map((p) => [p.partition, p.offset]).sort()).toEqual(
    ends.map((p) => [p.partition, p.high]).sort(),
  );
}

/** `npm run transformer` as its own process, once its /healthz and /metrics are listening. */
async function spawnTransformer(s: Stack) {
  const child = spawn(
    process.execPath,
    ['--disable-warning=TimeoutNegativeWarning', 'cli.ts', 'transformer'],
    {
      env: { ...process.env, ...s.env, METRICS_PORT: '0', LOG_LEVEL: 'info' },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  const lines: string[] = [];
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const port = await new Promise<number>((resolve, reject) => {
    createInterface({ input: child.stderr! }).on('line', (line) => {
      lines.push(line);
      const entry = JSON.parse(line) as { port?: number };
      if (entry.port) resolve(entry.port);
    });
    void exited.then(() => reject(new Error(`transformer exited before listening:\n${lines.join('\n')}`)));
  });
  return { process: child, port, exited, lines };
}

describe('transformer service', () => {
  it('converts a run partition by partition, passes markers on in order and accounts for a page the converter rejects', async () => {
    const s = await stack('xf-run');
    const P = s.cfg.partitions;
    const run = { runId: newRunId(), sourceId: 'acme-atlassian-net', partitions: P };
    const personalByKey: Space = { id: '2', key: '~5f1a', name: 'Ann', type: 'global', status: 'current' };
    const personalByType: Space = { id: '3', key: 'BOB', name: 'Bob', type: 'personal', status: 'current' };
    const pages: RawPage[] = ids(101, 30).map((id) =>
      id === '107'
        ? rawPage(id, body(id), personalByKey)
        : id === '110'
          ? rawPage(id, body(id), personalByType)
          : // The producer wrote a URL without its scheme: the converter refuses the base URL it implies.
            id === '113'
            ? rawPage(id, body(id), ENG, { url: 'acme.atlassian.net/wiki/spaces/ENG/pages/113' })
            : // A 5 MB page: far over kafkajs's 1 MB default fetch size.
              id === '121'
              ? rawPage(id, `<p>${'lorem ipsum dolor '.repeat(300_000)}</p>`)
              : rawPage(id, body(id)),
    );
    const raw = rawRunWriter(s.producer, s.codecs.rawPages, run);
    await raw.start();
    await raw.pages(pages);
    // Not a raw page event at all: skipped (and counted), never a crash or a stuck partition.
    await s.producer.send({
      topic: s.cfg.topics.rawPages,
      messages: [{ key: 'junk', partition: 0, value: 'not avro' }],
    });
    await raw.end();

    const transformer = await startTransformer(s.cfg, { log });
    const records = await readHtml(s, endsSeen(P));
    const dead = await readUntil(
      s.kafka,
      s.cfg.topics.deadLetter,
      (b) => s.codecs.deadLetter.decode(b),
      (r) => r.length >= 1,
    );
    const metrics = await transformer.metrics.getMetricsAsJSON();
    await transformer.stop();

    // Exactly once here (no restart), in raw order, on the same partition and key.
    for (let p = 0; p < P; p++) {
      const mine = records.filter((r) => r.partition === p);
      const expected = pages.filter((page) => partitionOf(page.id, P) === p).map((page) => page.id);
      expect(mine.map((r) => r.value.marker?.kind ?? pageIdOf(r.value))).toEqual([
        'START',
        ...expected,
        'END',
      ]);
      expect(mine.slice(1, -1).map((r) => r.key)).toEqual(expected);
      expect(mine.at(-1)!.value.marker).toMatchObject({
        partition: p,
        partitions: P,
        pagesInPartition: expected.length,
        pagesTotal: 30,
      });
    }
    expect(records.every((r) => r.value.runId === run.runId && r.value.sourceId === run.sourceId)).toBe(true);

    const byId = new Map(records.map((r) => [pageIdOf(r.value), r.value]));
    expect(byId.get('101')!.page).toMatchObject({
      pageId: '101',
      title: 'Page 101',
      url: 'https://acme.atlassian.net/wiki/spaces/ENG/pages/101/Page+101',
      spaceKey: 'ENG',
      spaceName: 'Engineering',
      spaceType: 'global',
      visibility: 'public',
      version: 1,
      updatedAt: '2026-01-02T03:04:05.000Z',
    });
    expect(byId.get('101')!.page!.html).toContain('<strong>bold</strong>');
    expect(byId.get('101')!.page!.html).not.toContain('<script');
    expect(byId.get('101')!.page!.text).toContain('if (a < b) {}');
    expect(byId.get('107')!.page!.visibility).toBe('internal');
    expect(byId.get('110')!.page!.visibility).toBe('internal');
    expect(byId.get('121')!.page!.html.length).toBeGreaterThan(5_000_000);
    expect([...byId.values()].filter((e) => e.page?.visibility === 'public')).toHaveLength(27);

    // The rejected page: a failure in its place on the HTML topic, and the whole raw page as a dead letter.
    const failure = byId.get('113')!;
    expect(failure.page).toBeNull();
    expect(failure.failure).toEqual({
      pageId: '113',
      reason: expect.stringMatching(/^invalid-context: base URL must be an absolute http\(s\) URL/),
    });
    expect(dead).toHaveLength(1);
    expect(dead[0]!.key).toBe('113');
    expect(dead[0]!.value).toMatchObject({
      runId: run.runId,
      sourceId: run.sourceId,
      reason: failure.failure!.reason,
    });
    expect(dead[0]!.value.page).toEqual(pages[12]);

    const value = (name: string) => metrics.find((m) => m.name === name)!.values;
    expect(value('transformer_pages_total')[0]!.value).toBe(30);
    expect(value('transformer_failures_total')).toEqual([
      expect.objectContaining({ value: 1, labels: { reason: 'invalid-context' } }),
    ]);
    expect(
      value('transformer_markers_total')
        .map((v) => [v.labels.kind, v.value])
        .sort(),
    ).toEqual([
      ['END', P],
      ['START', P],
    ]);
  });

  it('stopped after part of a run and started again, commits what it wrote and loses nothing', async () => {
    const s = await stack('xf-stop');
    const P = s.cfg.partitions;
    const raw = newRawRun(s);
    const first = ids(1000, 150);
    const second = ids(1150, 150);
    await raw.start();
    await raw.pages(first.map((id) => rawPage(id, body(id))));

    const a = await startTransformer(s.cfg, { log });
    await readHtml(s, (r) => r.filter((x) => x.value.page).length >= first.length);
    await a.stop();

    // Stopping committed every raw offset whose output was acknowledged: here, all of them.
    await expectAllCommitted(s);

    await raw.pages(second.map((id) => rawPage(id, body(id))));
    await raw.end();
    const b = await startTransformer(s.cfg, { log });
    const records = await readHtml(s, endsSeen(P));
    await b.stop();
    expectRunInOrder(records, [...first, ...second], P);
  });

  it('killed mid-run (SIGKILL) and started again, loses nothing: every page, markers after pages', async () => {
    const s = await stack('xf-kill');
    const P = s.cfg.partitions;
    const raw = newRawRun(s);
    const pageIds = ids(5000, 600);
    await raw.start();
    await raw.pages(pageIds.slice(0, 400).map((id) => rawPage(id, body(id).repeat(40))));

    const child = await spawnTransformer(s);
    await readHtml(s, (r) => r.filter((x) => x.value.page).length >= 50);
    expect((await fetch(`http://127.0.0.1:${child.port}/healthz`)).status).toBe(200);
    expect(await (await fetch(`http://127.0.0.1:${child.port}/metrics`)).text()).toMatch(
      /^transformer_pages_total\{[^}]*\} [1-9]/m,
    );
    child.process.kill('SIGKILL');
    expect(await child.exited).toEqual({ code: null, signal: 'SIGKILL' });

    await raw.pages(pageIds.slice(400).map((id) => rawPage(id, body(id))));
    await raw.end();
    const b = await startTransformer(s.cfg, { log });
    const records = await readHtml(s, endsSeen(P));
    await b.stop();
    expectRunInOrder(records, pageIds, P);
  });

  it('on SIGTERM finishes its batch, commits and exits 0', async () => {
    const s = await stack('xf-term');
    const P = s.cfg.partitions;
    const raw = newRawRun(s);
    const pageIds = ids(7000, 60);
    await raw.start();
    await raw.pages(pageIds.map((id) => rawPage(id, body(id))));
    await raw.end();

    const child = await spawnTransformer(s);
    const records = await readHtml(s, endsSeen(P));
    child.process.kill('SIGTERM');
    expect(await child.exited).toEqual({ code: 0, signal: null });
    expect(child.lines.map((l) => (JSON.parse(l) as { msg: string }).msg)).toContain('transformer: stopped');
    expectRunInOrder(records, pageIds, P);
    await expectAllCommitted(s);
  });
});
