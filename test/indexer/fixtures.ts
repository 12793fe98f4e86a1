// Writes runs to the HTML pages topic exactly as the run contract says the transformer does: START on
// every partition (a refresh's names its base), pages keyed by page id, conversion failures, a
// refresh's removals, then END on every partition (with pagesInPartition and pagesTotal) or ABORT.
// Reusable by end-to-end tests.
import type { ServicesConfig } from '../../lib/config.ts';
import { createElasticsearch } from '../../lib/elasticsearch.ts';
import { createKafka, partitionOf, type Kafka, type Producer } from '../../lib/kafka.ts';
import { ensureTopics } from '../../lib/kafka-topics.ts';
import { createLogger } from '../../lib/log.ts';
import { createCodecs, type Codecs } from '../../lib/registry.ts';
import { newRunId } from '../../lib/run-id.ts';
import type { HtmlPage, HtmlPageEvent, RefreshBase, RunMarker, RunMarkerKind } from '../../schemas/index.ts';
import { isDecided, type RunState } from '../../indexer/completion.ts';
import { pageTemplateName } from '../../indexer/index-names.ts';
import type { RunStore } from '../../indexer/run-state.ts';
import { HTML_PAGE_DEFAULTS } from '../page-defaults.ts';

export function page(id: string, overrides: Partial<HtmlPage> = {}): HtmlPage {
  return {
    pageId: id,
    title: `Page ${id}`,
    html: `<h1>Page ${id}</h1><p>About page ${id}.</p>`,
    text: `Page ${id}. About page ${id}.`,
    url: `https://acme.atlassian.net/wiki/spaces/ENG/pages/${id}`,
    spaceKey: 'ENG',
    spaceName: 'Engineering',
    spaceType: 'global',
    visibility: 'public',
    version: 1,
    updatedAt: '2026-01-02T03:04:05.000Z',
    ...HTML_PAGE_DEFAULTS,
    ...overrides,
  };
}

export const pages = (from: number, to: number, overrides: Partial<HtmlPage> = {}) =>
  Array.from({ length: to - from }, (_, i) => page(String(from + i), overrides));

export interface TestRun {
  runId: string;
  sourceId: string;
  replayOf: string | null;
  refresh: RefreshBase | null;
  /** Page records written per partition so far (what END reports). */
  perPartition: number[];
  pageIds: Set<string>;
}

export interface HtmlTopicWriter {
  partitions: number;
  codecs: Codecs;
  start(
    sourceId: string,
    opts?: { runId?: string; replayOf?: string; refresh?: RefreshBase },
  ): Promise<TestRun>;
  pages(run: TestRun, list: HtmlPage[]): Promise<void>;
  failures(run: TestRun, list: { pageId: string; reason: string }[]): Promise<void>;
  /** A refresh's pages of the base that are not in the new version (not counted as pages of the run). */
  removals(run: TestRun, list: { pageId: string; reason: string }[]): Promise<void>;
  /** END on every partition; pagesTotal defaults to the distinct pages and failures written. */
  end(run: TestRun, opts?: { pagesTotal?: number; partitions?: number[] }): Promise<void>;
  abort(run: TestRun, reason: string): Promise<void>;
  /** A whole run: START, pages, failures, END. */
  run(
    sourceId: string,
    list: HtmlPage[],
    opts?: { failures?: { pageId: string; reason: string }[]; replayOf?: string; pagesTotal?: number },
  ): Promise<TestRun>;
  close(): Promise<void>;
}

export async function openHtmlTopic(cfg: ServicesConfig): Promise<HtmlTopicWriter> {
  const kafka: Kafka = createKafka(cfg, 'test-html-writer', createLogger('test-html-writer'));
  await ensureTopics(kafka, cfg);
  const codecs = await createCodecs(cfg);
  const producer: Producer = kafka.producer();
  await producer.connect();
  const partitions = cfg.partitions;
  const topic = cfg.topics.htmlPages;

  const send = async (messages: { partition: number; key: string; event: HtmlPageEvent }[]) => {
    for (let i = 0; i < messages.length; i += 500)
      await producer.send({
        topic,
        messages: await Promise.all(
          messages.slice(i, i + 500).map(async (m) => ({
            partition: m.partition,
            key: m.key,
            value: await codecs.htmlPages.encode(m.event),
          })),
        ),
      });
  };
  const marker = (
    run: TestRun,
    kind: RunMarkerKind,
    partition: number,
    extra: Partial<RunMarker> = {},
  ): HtmlPageEvent => ({
    runId: run.runId,
    sourceId: run.sourceId,
    page: null,
    failure: null,
    marker: {
      kind,
      partition,
      partitions,
      pagesInPartition: 0,
      pagesTotal: 0,
      reason: null,
      at: Date.now(),
      replayOf: run.replayOf,
      refresh: kind === 'START' ? run.refresh : null,
      ...extra,
    },
    removal: null,
  });
  const all = (run: TestRun, make: (p: number) => HtmlPageEvent, only?: number[]) =>
    send(
      (only ?? [...Array(partitions).keys()]).map((p) => ({ partition: p, key: run.runId, event: make(p) })),
    );

  const writer: HtmlTopicWriter = {
    partitions,
    codecs,
    async start(sourceId, opts = {}) {
      const run: TestRun = {
        runId: opts.runId ?? newRunId(),
        sourceId,
        replayOf: opts.replayOf ?? null,
        refresh: opts.refresh ?? null,
        perPartition: Array(partitions).fill(0),
        pageIds: new Set(),
      };
      await all(run, (p) => marker(run, 'START', p));
      return run;
    },
    async pages(run, list) {
      await send(
        list.map((pg) => {
          const partition = partitionOf(pg.pageId, partitions);
          run.perPartition[partition]!++;
          run.pageIds.add(pg.pageId);
          return {
            partition,
            key: pg.pageId,
            event: {
              runId: run.runId,
              sourceId: run.sourceId,
              page: pg,
              failure: null,
              marker: null,
              removal: null,
            },
          };
        }),
      );
    },
    async failures(run, list) {
      await send(
        list.map((f) => {
          const partition = partitionOf(f.pageId, partitions);
          run.perPartition[partition]!++;
          run.pageIds.add(f.pageId);
          return {
            partition,
            key: f.pageId,
            event: {
              runId: run.runId,
              sourceId: run.sourceId,
              page: null,
              failure: f,
              marker: null,
              removal: null,
            },
          };
        }),
      );
    },
    async removals(run, list) {
      await send(
        list.map((removal) => ({
          partition: partitionOf(removal.pageId, partitions),
          key: removal.pageId,
          event: {
            runId: run.runId,
            sourceId: run.sourceId,
            page: null,
            failure: null,
            marker: null,
            removal,
          },
        })),
      );
    },
    async end(run, opts = {}) {
      const pagesTotal = opts.pagesTotal ?? run.pageIds.size;
      await all(
        run,
        (p) => marker(run, 'END', p, { pagesInPartition: run.perPartition[p]!, pagesTotal }),
        opts.partitions,
      );
    },
    async abort(run, reason) {
      await all(run, (p) => marker(run, 'ABORT', p, { reason }));
    },
    async run(sourceId, list, opts = {}) {
      const run = await writer.start(sourceId, opts.replayOf ? { replayOf: opts.replayOf } : {});
      await writer.pages(run, list);
      if (opts.failures) await writer.failures(run, opts.failures);
      await writer.end(run, opts.pagesTotal === undefined ? {} : { pagesTotal: opts.pagesTotal });
      return run;
    },
    close: () => producer.disconnect(),
  };
  return writer;
}

/** Polls until `check` returns a value (not undefined/false), or fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined | false>,
  what: string,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Waits until the indexer has decided a run (any status but indexing) and returns its state. */
export function runDecided(store: RunStore, runId: string, timeoutMs = 60_000): Promise<RunState> {
  return eventually(
    async () => {
      const state = await store.get(runId).catch(() => null);
      return state && isDecided(state) ? state : undefined;
    },
    `run ${runId} decided`,
    timeoutMs,
  );
}

/** Deletes a test's topics, indices and index template. */
export async function cleanUp(cfg: ServicesConfig): Promise<void> {
  const es = createElasticsearch(cfg);
  await es.indices.delete({ index: `${cfg.indexPrefix}-*` }, { ignore: [404] }).catch(() => {});
  await es.indices
    .deleteIndexTemplate({ name: pageTemplateName(cfg.indexPrefix) }, { ignore: [404] })
    .catch(() => {});
  await es.close();
  const admin = createKafka(cfg, 'test-cleanup', createLogger('test-cleanup')).admin();
  await admin.connect();
  const mine = Object.values(cfg.topics);
  const existing = new Set(await admin.listTopics());
  await admin.deleteTopics({ topics: mine.filter((t) => existing.has(t)) }).catch(() => {});
  await admin.disconnect();
}
