// What the source's live alias holds: page id → version. A run reads it before it ends so that a page
// the live index has and the listing did not see is dropped only when Confluence confirms it is gone
// (pull.ts). The alias is the indexer's (indexer/index-names.ts names it); no alias yet = a first sync.
import type { Elasticsearch } from '../lib/elasticsearch.ts';
import { aliasName } from '../indexer/index-names.ts';

const PAGE = 10_000;

export async function liveVersions(
  es: Elasticsearch,
  prefix: string,
  sourceId: string,
): Promise<Map<string, number>> {
  const index = aliasName(prefix, sourceId);
  const versions = new Map<string, number>();
  let after: (string | number)[] | undefined;
  for (;;) {
    const res = await es.search<{ version?: number }>(
      {
        index,
        size: PAGE,
        _source: ['version'],
        sort: [{ pageId: 'asc' }],
        ...(after ? { search_after: after } : {}),
      },
      { ignore: [404] },
    );
    const hits = res.hits?.hits ?? [];
    for (const h of hits) versions.set(h._id!, h._source?.version ?? 0);
    if (hits.length < PAGE) return versions;
    after = hits.at(-1)!.sort as (string | number)[];
  }
}
