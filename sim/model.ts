// The simulated site's metadata: spaces and compact per-page records, generated deterministically
// from a seed. Page bodies are not stored here; content.ts derives them on demand.
import { Rng, hash32 } from './rng.ts';

/** Confluence Cloud's space types; only global, collaboration and knowledge_base hold customer knowledge. */
export const SPACE_TYPES = [
  'global',
  'personal',
  'collaboration',
  'knowledge_base',
  'system',
  'onboarding',
  'xflow_sample_space',
] as const;
export type SpaceType = (typeof SPACE_TYPES)[number];
export type SpaceStatus = 'current' | 'archived';
export type PageStatus = 'current' | 'archived' | 'draft' | 'trashed';

export interface Space {
  id: number;
  key: string;
  name: string;
  type: SpaceType;
  status: SpaceStatus;
  authorId: string;
  createdAt: number;
  homepageId: number; // 0 when the space has no pages
}

export interface Page {
  id: number;
  spaceId: number;
  parentId: number; // 0 = top level
  position: number;
  title: string;
  status: PageStatus;
  version: number;
  authorId: string;
  createdAt: number;
  modifiedAt: number;
  /** Read-restricted: invisible (with its descendants) to users without full access. */
  restricted: boolean;
  /** Set by the admin API only; generated pages carry none. */
  labels?: string[];
  /** Set only when an admin call supplied a body; otherwise the body is generated. */
  body?: string;
}

export interface SiteSpec {
  seed: number;
  spaces: number;
  /** Number of current pages; archived, draft and trashed pages come on top. */
  pages: number;
}

export interface Site {
  seed: number;
  accountIds: string[];
  spaces: Space[];
  pages: Page[]; // ascending id
}

const SPACE_WORDS = [
  ['ENG', 'Engineering'],
  ['OPS', 'Operations'],
  ['HR', 'People & Culture'],
  ['SUP', 'Customer Support'],
  ['SALES', 'Sales Playbooks'],
  ['LEG', 'Legal'],
  ['MKT', 'Marketing — EMEA'],
  ['FIN', 'Finance'],
  ['PM', 'Product Management'],
  ['SEC', 'Security'],
  ['DS', 'Data Science'],
  ['IT', 'IT Helpdesk'],
] as const;

const FIRST_NAMES = [
  'Ana',
  'Björn',
  'Chloé',
  'Dmitri',
  'Eun-ji',
  'Farah',
  'Giulia',
  'Hiroshi',
  'Iñés',
  'Jonas',
];
const LAST_NAMES = [
  'Okafor',
  'Müller',
  'Dubois',
  'Ivanov',
  'Kim',
  'Haddad',
  'Rossi',
  'Tanaka',
  'Núñez',
  "O'Brien",
];

const TITLE_TOPICS = [
  'Onboarding',
  'Release Notes',
  'Runbook: Database & Cache',
  'Café ordering',
  'Incident review',
  'Q3 plan — EMEA',
  'API v2 / migration',
  'FAQ: "Why is it slow?"',
  'Deploy checklist',
  'Résumé templates',
  '日本語ドキュメント',
  'Привет, команда',
  'עברית notes',
  'Launch 🚀',
  'On-call <primary>',
  'Pricing 2026 (draft)',
  'Architecture overview',
  'Kafka & Elasticsearch',
  'How-to: rotate keys',
  'Meeting notes 50%',
];
const TITLE_SUFFIXES = [
  '',
  '',
  ' – part 2',
  ' (archive)',
  ' #42',
  ': summary',
  ' v1.2',
  '?',
  ' & more',
  ' [WIP]',
];

const DAY = 86_400_000;
const EPOCH_2018 = Date.UTC(2018, 0, 1);
const LATEST_EDIT = Date.UTC(2026, 5, 1);

function accountId(rng: Rng): string {
  const h = rng.hex(32);
  return `712020:${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Relative share of pages per space: a few big spaces, many small ones (Zipf-like). */
function spaceWeights(n: number): number[] {
  const w = Array.from({ length: n }, (_, i) => 1 / (i + 1));
  const sum = w.reduce((a, b) => a + b, 0);
  return w.map((x) => x / sum);
}

export function generateSite(spec: SiteSpec): Site {
  const rng = new Rng(hash32(spec.seed, 'site'));
  const accountIds = Array.from({ length: 24 }, () => accountId(rng));
  const spaceCount = Math.max(1, spec.spaces);
  const spaces: Space[] = [];
  const usedKeys = new Set<string>();
  for (let i = 0; i < spaceCount; i++) {
    // Every fifth space is personal (at least one when there are 3+), about one in eight archived.
    const personal = spaceCount >= 3 && i % 5 === 2;
    const createdAt = EPOCH_2018 + rng.int(1200) * DAY;
    let key: string;
    let name: string;
    if (personal) {
      const who = accountId(rng);
      key = '~' + who.replace(/[:-]/g, '').slice(0, 38);
      name = `${rng.pick(FIRST_NAMES)} ${rng.pick(LAST_NAMES)}`;
    } else {
      const [base, label] = SPACE_WORDS[i % SPACE_WORDS.length] as readonly [string, string];
      key = base;
      for (let n = 2; usedKeys.has(key); n++) key = `${base}${n}`;
      name = key === base ? label : `${label} ${key.slice(base.length)}`;
    }
    usedKeys.add(key);
    spaces.push({
      id: 98_305 + i * 65_536 + rng.int(1000),
      key,
      name,
      type: personal ? 'personal' : 'global',
      status: i % 8 === 7 ? 'archived' : 'current',
      authorId: rng.pick(accountIds),
      createdAt,
      homepageId: 0,
    });
  }

  const weights = spaceWeights(spaceCount);
  const cumulative: number[] = [];
  weights.reduce((acc, w) => (cumulative.push(acc + w), acc + w), 0);
  const pages: Page[] = [];
  const titlesBySpace = spaces.map(() => ({
    used: new Set<string>(),
    nextSuffix: new Map<string, number>(),
  }));
  const parentsBySpace: number[][] = spaces.map(() => []);
  const childCount = new Map<number, number>();
  let id = 65_537;
  let current = 0;
  for (let i = 0; current < spec.pages; i++) {
    // The first pages seed every space with its homepage; after that spaces are drawn by weight.
    let s = i;
    if (i >= spaceCount) {
      const r = rng.next();
      s = cumulative.findIndex((c) => r < c);
      if (s < 0) s = spaceCount - 1;
    }
    const space = spaces[s] as Space;
    const isHome = space.homepageId === 0;
    const roll = rng.next();
    const status: PageStatus = isHome
      ? 'current'
      : roll < 0.04
        ? 'archived'
        : roll < 0.07
          ? 'draft'
          : roll < 0.1
            ? 'trashed'
            : 'current';
    id += 1 + rng.int(9); // ids increase but are not contiguous, as in Confluence
    const eligible = parentsBySpace[s] as number[];
    let parentId = 0;
    if (!isHome && eligible.length > 0 && !rng.chance(0.05)) {
      parentId = eligible[Math.floor(rng.next() ** 2 * eligible.length)] as number;
    }
    const base = isHome ? `${space.name} Home` : `${rng.pick(TITLE_TOPICS)}${rng.pick(TITLE_SUFFIXES)}`;
    // Remember the next free suffix per base title: probing from 2 each time is quadratic in big spaces.
    const { used, nextSuffix } = titlesBySpace[s]!;
    let n = nextSuffix.get(base) ?? 1;
    let title = n === 1 ? base : `${base} (${n})`;
    while (used.has(title)) title = `${base} (${++n})`;
    nextSuffix.set(base, n + 1);
    used.add(title);
    const createdAt = space.createdAt + rng.int(1800) * DAY + rng.int(DAY);
    const version = 1 + Math.floor(rng.next() ** 3 * 40);
    const position = childCount.get(parentId * 1e6 + s) ?? 0;
    childCount.set(parentId * 1e6 + s, position + 1);
    pages.push({
      id,
      spaceId: space.id,
      parentId,
      position,
      title,
      status,
      version,
      authorId: rng.pick(accountIds),
      createdAt,
      modifiedAt: version > 1 ? createdAt + rng.int(Math.max(1, LATEST_EDIT - createdAt)) : createdAt,
      restricted: !isHome && rng.chance(0.03),
    });
    if (isHome) space.homepageId = id;
    if (status === 'current' || status === 'archived') eligible.push(id);
    if (status === 'current') current++;
  }
  return { seed: spec.seed, accountIds, spaces, pages };
}

/** The public display name of an account: stable per account id (every generated account resolves). */
export function displayNameOf(accountId: string): string {
  const h = hash32(accountId, 'name');
  return `${FIRST_NAMES[h % FIRST_NAMES.length]} ${LAST_NAMES[(h >>> 8) % LAST_NAMES.length]}`;
}

/** `/spaces/KEY/pages/123/Title+Here`, as Confluence builds `_links.webui`. */
export function pageWebui(spaceKey: string, page: Pick<Page, 'id' | 'title'>): string {
  return `/spaces/${encodeURIComponent(spaceKey)}/pages/${page.id}/${encodeURIComponent(page.title).replace(/%20/g, '+')}`;
}
