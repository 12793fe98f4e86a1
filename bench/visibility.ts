// Extra Confluence requests the visibility policy and the page context cost, per 1,000 pages:
// restriction facts (CQL search, 200 pages a request) and display names (bulk user lookup, per body
// batch of 250, cached for the run). Against the simulator, in-process; no Kafka needed.
//   node bench/visibility.ts [--pages 1000,10000] [--spaces 6]
import { parseArgs } from 'node:util';
import { createLogger } from '../lib/log.ts';
import { siteConfig, producerTuning } from '../producer/config.ts';
import { IDS_PER_REQUEST } from '../producer/confluence-source.ts';
import { createRestrictionReader } from '../producer/restrictions.ts';
import { openSite } from '../producer/site.ts';
import { accountsOf, createUserDirectory } from '../producer/users.ts';
import { startSim } from '../sim/index.ts';

const { values } = parseArgs({
  options: { pages: { type: 'string', default: '1000,10000' }, spaces: { type: 'string', default: '6' } },
});
const log = createLogger('bench-visibility');
log.level = 'warn';

for (const pages of values.pages.split(',').map(Number)) {
  const sim = await startSim({ seed: 7, spaces: Number(values.spaces), pages });
  const cfg = siteConfig(producerTuning({}), {
    deployment: 'cloud',
    siteUrl: sim.baseUrl,
    email: sim.email,
    token: sim.token,
    sourceId: 'bench',
  });
  const site = await openSite(cfg, { connections: 4, retry: cfg.retry, log });
  const reader = createRestrictionReader(site.client, { v1Root: site.v1Root, unreadable: 'fail' });
  const users = createUserDirectory(site.client, { v1Root: site.v1Root, log });
  let restrictionRequests = 0;
  let userRequests = 0;
  let pulled = 0;
  let labelledOrRestricted = 0;
  for await (const spaces of site.spaces()) {
    for (const space of spaces) {
      let before = site.stats.requests;
      const facts = await reader.space(space);
      restrictionRequests += site.stats.requests - before;
      const ids: string[] = [];
      for await (const refs of site.pageRefs(space)) ids.push(...refs.map((r) => r.id));
      for (let i = 0; i < ids.length; i += IDS_PER_REQUEST) {
        const batch = await site.pagesById(ids.slice(i, i + IDS_PER_REQUEST));
        before = site.stats.requests;
        await users.resolve(batch.flatMap(accountsOf));
        userRequests += site.stats.requests - before;
        pulled += batch.length;
        for (const p of batch) if (facts.of(p.id).restricted) labelledOrRestricted++;
      }
    }
  }
  await site.close();
  await sim.close();
  const per1000 = (n: number) => ((n / pulled) * 1000).toFixed(1);
  console.log(
    `${pulled} pages: restrictions+ancestors+labels ${restrictionRequests} requests (${per1000(restrictionRequests)} per 1,000 pages), ` +
      `users ${userRequests} requests (${per1000(userRequests)} per 1,000 pages); ${labelledOrRestricted} restricted pages seen`,
  );
}
