// The Elasticsearch client is made here (the official client, same major as the server: 8.x).
import { Client } from '@elastic/elasticsearch';
import type { ServicesConfig } from './config.ts';

export type { Client as Elasticsearch } from '@elastic/elasticsearch';

export function createElasticsearch(cfg: ServicesConfig): Client {
  return new Client({ node: cfg.elasticsearchUrl, requestTimeout: 60_000, maxRetries: 3 });
}
