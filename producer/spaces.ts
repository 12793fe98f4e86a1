// The site's own list of spaces, as the credentials see it: what a person picks a source's scope from.
// The same listing a full pull starts with (any deployment), read whole: a site has hundreds of
// spaces, not millions.
import type { Logger } from '../lib/log.ts';
import type { Space } from '../schemas/index.ts';
import type { ProducerConfig } from './config.ts';
import { explainFailure } from './failures.ts';
import { openSite } from './site.ts';

export async function listSpaces(cfg: ProducerConfig, log: Logger): Promise<Space[]> {
  // A person is waiting: few retries, as for a check.
  const retry = { ...cfg.retry, maxRetries: Math.min(cfg.retry.maxRetries, 2) };
  try {
    const site = await openSite(cfg, { connections: 1, retry, log });
    try {
      const spaces: Space[] = [];
      for await (const listing of site.spaces()) spaces.push(...listing);
      return spaces.sort((a, b) => a.name.localeCompare(b.name) || a.key.localeCompare(b.key));
    } finally {
      await site.close();
    }
  } catch (err) {
    throw explainFailure(err, cfg);
  }
}
