// A share of a site changing between two runs, the way a working site changes: pages edited (a new
// version), added and trashed, and — without any version bump, as Confluence does it — read
// restrictions and labels set. Deterministic for a seed, so a refresh benchmark and a test can tell
// exactly which pages a refresh must fetch, keep and remove.
import type { SimAdmin } from './admin.ts';
import { Rng } from './rng.ts';

export interface ChurnOptions {
  /** Share of the current pages changed, e.g. 0.01: half edited, a quarter added, a quarter trashed. */
  share: number;
  /** Pages given a read restriction, and pages given a label, on top (no version bump). */
  restrict?: number;
  label?: string;
  labelled?: number;
  seed?: number;
}

export interface Churned {
  edited: string[];
  added: string[];
  trashed: string[];
  restricted: string[];
  labelled: string[];
}

const FULL_ACCESS = { email: '', token: '', accountId: '', access: 'full' as const, hiddenSpaceKeys: [] };

export function churn(admin: SimAdmin, opts: ChurnOptions): Churned {
  const rng = new Rng(opts.seed ?? 1);
  const current = admin.state.filterPages(FULL_ACCESS, { statuses: ['current'] });
  const parents = new Set(current.map((p) => p.parentId));
  // Leaves only for everything but additions: trashing a parent moves its children (their breadcrumbs
  // change, so a refresh fetches them too), which would blur how many pages the share changed.
  const leaves = current.filter((p) => !parents.has(p.id));
  const pick = (n: number) => {
    const chosen: number[] = [];
    while (chosen.length < Math.min(n, leaves.length)) {
      const i = rng.int(leaves.length);
      chosen.push(leaves[i]!.id);
      leaves[i] = leaves.at(-1)!;
      leaves.pop();
    }
    return chosen;
  };
  const changed = Math.round(current.length * opts.share);
  const trashedCount = Math.floor(changed / 4);
  const addedCount = Math.floor(changed / 4);
  const edited = pick(changed - trashedCount - addedCount);
  const trashed = pick(trashedCount);
  const restricted = pick(opts.restrict ?? 0);
  const labelled = pick(opts.labelled ?? 0);
  for (const id of edited) admin.editPage(id);
  for (const id of trashed) admin.deletePage(id);
  for (const id of restricted) admin.restrictPage(id, true);
  for (const id of labelled) admin.labelPage(id, [...admin.page(id).labels, opts.label ?? 'churned']);
  const spaces = admin.info().spaces.filter((s) => s.status === 'current');
  const added = Array.from(
    { length: addedCount },
    (_, i) =>
      admin.addPage({ space: spaces[i % spaces.length]!.key, title: `Added ${opts.seed ?? 1}-${i}` }).id,
  );
  const ids = (list: number[]) => list.map(String);
  return {
    edited: ids(edited),
    added,
    trashed: ids(trashed),
    restricted: ids(restricted),
    labelled: ids(labelled),
  };
}
