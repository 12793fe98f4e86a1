// `producer preview`: before the first sync, what the site holds and who would see it — every space
// with its type, status, current pages and the audience the source's policy gives them, by reason.
// Reads restrictions the way a run does (one search per 200 pages) and writes nothing anywhere.
import type { Logger } from '../lib/log.ts';
import { decideVisibility, type Space, type VisibilityReason } from '../schemas/index.ts';
import type { ProducerConfig } from './config.ts';
import { explainFailure } from './failures.ts';
import { createRestrictionReader } from './restrictions.ts';
import { inScope } from './scope.ts';
import { openSite } from './site.ts';

export interface SpacePreview {
  key: string;
  name: string;
  type: string;
  status: string;
  /** Whether the source's scope pulls it at all. */
  inScope: boolean;
  pages: number;
  publicPages: number;
  /** Current pages by the reason of their visibility. */
  reasons: Partial<Record<VisibilityReason, number>>;
}

export interface SitePreview {
  siteUrl: string;
  /** False when the site would not say which pages are restricted (then nothing would be public). */
  restrictionsReadable: boolean;
  spaces: SpacePreview[];
  requests: number;
}

export async function previewSite(cfg: ProducerConfig, log: Logger): Promise<SitePreview> {
  try {
    const site = await openSite(cfg, { connections: cfg.concurrency, retry: cfg.retry, log });
    try {
      await site.verifyIdentity();
      let readable = true;
      const reader = createRestrictionReader(site.client, {
        v1Root: site.v1Root,
        unreadable: 'internal', // a preview reports it rather than failing
        onUnreadable: () => (readable = false),
      });
      const spaces: Space[] = [];
      for await (const batch of site.spaces()) spaces.push(...batch);
      const previews: SpacePreview[] = [];
      for (const space of spaces) {
        const facts = await reader.space(space);
        // Without restrictions the search says nothing, not even the count: list the ids instead.
        let ids = facts.current;
        if (facts.unreadable) {
          const listed: string[] = [];
          for await (const refs of site.pageRefs(space)) listed.push(...refs.map((r) => r.id));
          ids = listed;
        }
        const reasons: SpacePreview['reasons'] = {};
        let publicPages = 0;
        for (const id of ids) {
          const d = decideVisibility({ space, ...facts.of(id) }, cfg.visibility);
          reasons[d.reason] = (reasons[d.reason] ?? 0) + 1;
          if (d.visibility === 'public') publicPages++;
        }
        const { key, name, type, status } = space;
        previews.push({
          key,
          name,
          type,
          status,
          inScope: inScope(space, cfg.scope),
          pages: ids.length,
          publicPages,
          reasons,
        });
      }
      return {
        siteUrl: cfg.siteUrl,
        restrictionsReadable: readable,
        spaces: previews,
        requests: site.stats.requests,
      };
    } finally {
      await site.close();
    }
  } catch (err) {
    throw explainFailure(err, cfg);
  }
}

/** One line per space: `KEY  type status  pages  public  reasons`. */
export function formatPreview(p: SitePreview): string {
  const lines = p.spaces.map((s) => {
    const reasons = Object.entries(s.reasons)
      .map(([r, n]) => `${r} ${n}`)
      .join(', ');
    const scope = s.inScope ? '' : '  (not in scope: not pulled)';
    return `${s.key.padEnd(12)} ${s.type.padEnd(14)} ${s.status.padEnd(8)} ${String(s.pages).padStart(6)} pages, ${String(s.publicPages).padStart(6)} public  ${reasons}${scope}`;
  });
  const warning = p.restrictionsReadable
    ? ''
    : '\nThe site would not say which pages are restricted: a run would fail (or, with VISIBILITY_UNREADABLE_RESTRICTIONS=internal, publish nothing). Give the token search:confluence.\n';
  return `${p.siteUrl}: ${p.spaces.length} spaces (${p.requests} requests; nothing written)\n${lines.join('\n')}\n${warning}`;
}
