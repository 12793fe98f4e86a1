// `ops search`: what the AI would get for a query (one source, one audience), or `--serve` to run the
// HTTP endpoint the AI calls. Registered on the ops group by whoever owns it.
import type { Command } from 'commander';
import { action } from '../lib/cli.ts';
import { servicesConfig } from '../lib/config.ts';
import { createElasticsearch } from '../lib/elasticsearch.ts';
import {
  defaultSize,
  maxSize,
  parseAudience,
  parseQuery,
  parseSize,
  parseSource,
  search,
  type SearchResponse,
} from './query.ts';
import { searchServerConfig, startSearchServer } from './server.ts';

interface SearchFlags {
  source?: string;
  audience?: string;
  size?: string;
  json?: boolean;
  serve?: boolean;
  port?: string;
  host?: string;
}

function formatResults(r: SearchResponse): string {
  if (r.results.length === 0) return `no results for "${r.q}" in ${r.alias} (audience ${r.audience})\n`;
  return r.results
    .map(
      (hit, i) =>
        `${i + 1}. [${hit.visibility}: ${hit.visibilityReason}] ${[hit.spaceName, ...hit.breadcrumbs, hit.title].join(' › ')}  (score ${hit.score.toFixed(2)})\n` +
        `   ${hit.section ? `${hit.section.url}  (§ ${hit.section.path.join(' › ')})` : hit.url}\n` +
        (hit.author || hit.updatedAt
          ? `   last edited${hit.author ? ` by ${hit.author}` : ''}${hit.updatedAt ? ` ${hit.updatedAt}` : ''}\n`
          : '') +
        (hit.snippet ? `   ${hit.snippet}\n` : ''),
    )
    .join('');
}

export function registerSearch(ops: Command): void {
  ops
    .command('search')
    .description(
      "search a source's alias as the AI does (customer: public pages only; agent: internal and public), or --serve GET /search",
    )
    .argument('[query...]', 'the search text')
    .option(
      '--source <sourceId>',
      'the source to search, e.g. acme-atlassian-net (`producer check` prints it); required',
    )
    .option('--audience <audience>', 'customer (public pages only) or agent (internal and public); required')
    .option('--size <n>', `how many results, 1 to ${maxSize} (default ${defaultSize})`)
    .option('--json', 'the JSON the HTTP endpoint returns')
    .option(
      '--serve',
      'run the HTTP endpoint GET /search?q=&source=&audience= for API keys in SEARCH_API_KEYS_FILE (until SIGTERM)',
    )
    .option('--port <port>', 'with --serve: port (env SEARCH_PORT, default 8080)')
    .option('--host <host>', 'with --serve: address to listen on (env SEARCH_HOST, default 127.0.0.1)')
    .action(
      action(async (words: string[], o: SearchFlags) => {
        if (o.serve) {
          const server = await startSearchServer(
            searchServerConfig({
              ...(o.host !== undefined ? { host: o.host } : {}),
              ...(o.port !== undefined ? { port: o.port } : {}),
            }),
          );
          await server.stopped;
          await server.close();
          return;
        }
        const input = {
          source: parseSource(o.source),
          audience: parseAudience(o.audience),
          q: parseQuery(words.join(' ')),
          size: parseSize(o.size),
        };
        const cfg = servicesConfig();
        const es = createElasticsearch(cfg);
        try {
          const result = await search(es, cfg.indexPrefix, input);
          process.stdout.write(o.json ? `${JSON.stringify(result, null, 2)}\n` : formatResults(result));
        } finally {
          await es.close();
        }
      }),
    );
}
