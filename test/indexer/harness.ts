// One indexer and an HTML topic writer for a test file: started before its tests, stopped and cleaned
// up (topics, indices, template) after them. `topic` and `indexer` are set once the file's tests start.
import { afterAll, beforeAll } from 'vitest';
import type { StageHandle } from '../../lib/consumer.ts';
import { createElasticsearch } from '../../lib/elasticsearch.ts';
import { createLogger } from '../../lib/log.ts';
import type { IndexerConfig } from '../../indexer/config.ts';
import { createRunStore } from '../../indexer/run-state.ts';
import { startIndexer } from '../../indexer/service.ts';
import { cleanUp, openHtmlTopic, type HtmlTopicWriter } from './fixtures.ts';

export function indexerHarness(cfg: IndexerConfig) {
  const es = createElasticsearch(cfg.services);
  const log = createLogger('test-indexer');
  const h = {
    es,
    log,
    store: createRunStore(es, cfg.services.indexPrefix),
    topic: undefined as unknown as HtmlTopicWriter,
    indexer: undefined as StageHandle | undefined,
  };
  beforeAll(async () => {
    h.topic = await openHtmlTopic(cfg.services);
    h.indexer = await startIndexer(cfg, { log });
  });
  afterAll(async () => {
    await h.indexer?.stop();
    await h.topic?.close();
    await es.close();
    await cleanUp(cfg.services);
  });
  return h;
}
