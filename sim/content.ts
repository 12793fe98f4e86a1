// Storage-format bodies, derived on demand from (seed, page id, version) so that 100,000 pages can be
// served without keeping any body in memory. Blocks cover the element catalogue of
// ../shared/storage-samples (macros, links, tasks, layouts, images, emoticons, adf-extension, entities,
// unicode) plus, on a few pages, deliberately hostile markup that the converter must neutralise.
import { Rng, hash32, unit } from './rng.ts';
import { markup, Piece, textOf, type Part } from './pieces.ts';
import { PROSE } from './prose.ts';

export interface LinkTarget {
  title: string;
  spaceKey: string;
}

export interface BodyContext {
  seed: number;
  pageId: number;
  version: number;
  title: string;
  spaceKey: string;
  accountIds: readonly string[];
  /** Picks another page to link to (deterministic for a given rng state). */
  linkTarget: (rng: Rng) => LinkTarget | undefined;
  /** Homepages carry every block kind once, so any site exercises the whole catalogue. */
  fullCatalogue: boolean;
}

const MEDIAN_BYTES = 5_000;
const SIGMA = 1.25;
const MAX_ORDINARY_BYTES = 2_000_000;
const GIANT_SHARE = 0.0002;

/**
 * Target body size in bytes: log-normal around a 5 KB median (so some pages exceed 500 KB),
 * plus a rare tier of ~5 MB giants.
 */
export function bodySize(seed: number, pageId: number, version: number): number {
  if (unit(seed, 'giant', pageId) < GIANT_SHARE) return 4_500_000 + Math.floor(unit(seed, 'g', pageId) * 1e6);
  const rng = new Rng(hash32(seed, 'size', pageId, version));
  const size = Math.round(MEDIAN_BYTES * Math.exp(SIGMA * rng.normal()));
  return Math.min(MAX_ORDINARY_BYTES, Math.max(120, size));
}

export function escapeText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function escapeAttr(s: string): string {
  return escapeText(s).replace(/"/g, '&quot;');
}

/** CDATA that survives `]]>` inside the payload, the way Confluence splits it. */
function cdata(s: string): string {
  return `<![CDATA[${s.replace(/]]>/g, ']]]]><![CDATA[>')}]]>`;
}

// Sentences are escaped once at load; bodies are mostly built by picking from these pools, which keeps
// generation fast enough to serve gigabytes while paging. These carry what the converter must get right
// (entities, markup, scripts of other languages); the plain prose of sim/prose.ts carries the bulk.
const SENTENCES = [
  'Welcome to the team&nbsp;&mdash; read this first.',
  'Deploys are frozen on Fridays, except for hot-fixes approved by the on-call lead.',
  'Ask in <em>#platform-help</em> if anything is unclear &hellip; we&rsquo;re happy to help.',
  'The <strong>billing</strong> job runs at 02:00 UTC and takes about 40&nbsp;minutes.',
  'Caf&eacute; &amp; cr&egrave;me &ndash; 5&nbsp;&euro; &copy; 2026 &laquo;quoted&raquo; &lt;tag&gt;.',
  '日本語のテキストもここにあります。検索できるはずです。',
  'Привет! Этот раздел описывает процесс релиза.',
  '‏עברית‏ text sits next to English and Ελληνικά here.',
  'We shipped it 🚀 and celebrated 🎉 with the whole team.',
  'Math: a &lt; b &amp;&amp; c &gt; d, x&sup2; &times; y&frac12;.',
  'Use <code>kubectl rollout undo</code> to roll back a bad deploy.',
  'Customers on the <u>Enterprise</u> plan get a 99.95% uptime commitment.',
  'Keep API tokens out of tickets, chats and screenshots.',
  'See the <a href="https://status.example.com/incidents?id=7&amp;view=full">status page</a> for incidents.',
  'Latency budgets are per region: EU 120&nbsp;ms, US 90&nbsp;ms, APAC 180&nbsp;ms.',
  'The <span style="color: rgb(255,86,48);">red</span> items are blockers for the launch.',
  'Naïve façade coöperation — résumé — Zürich — São Paulo — Kraków.',
  'Escalate to the duty manager after 30 minutes without progress.',
  'Backups are restored weekly into the staging cluster to prove they work.',
  'Double  spaces and trailing spaces are folded by browsers. ',
].map((text) => new Piece(text));
const PROSE_PIECES = PROSE.map((text) => new Piece(text));
const SPACE = new Piece(' ');

const WORDS = [
  'alpha',
  'kafka',
  'index',
  'alias',
  'résumé',
  'naïve',
  'größe',
  '東京',
  'данные',
  'flip',
  'shard',
];

function uuid(rng: Rng): string {
  const h = rng.hex(32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20)}`;
}

/** The share of sentences taken from the marked-up pool above rather than from plain prose. */
const MARKED_SHARE = 0.2;

function sentences(rng: Rng, n: number): Part[] {
  const out: Part[] = [];
  for (let i = 0; i < n; i++) {
    if (i) out.push(SPACE);
    out.push(rng.chance(MARKED_SHARE) ? rng.pick(SENTENCES) : rng.pick(PROSE_PIECES));
  }
  return out;
}

function paragraph(rng: Rng): Part {
  return markup`<p>${sentences(rng, 2 + rng.int(5))}</p>`;
}

function pageLink(rng: Rng, ctx: BodyContext): Part {
  const target = ctx.linkTarget(rng);
  if (!target) return '';
  const sameSpace = target.spaceKey === ctx.spaceKey;
  const space = sameSpace && rng.chance(0.5) ? '' : ` ri:space-key="${escapeAttr(target.spaceKey)}"`;
  const body = rng.chance(0.5)
    ? markup`<ac:plain-text-link-body>${cdata(`the ${target.title} page`)}</ac:plain-text-link-body>`
    : '';
  return markup`<ac:link><ri:page ri:content-title="${escapeAttr(target.title)}"${space} />${body}</ac:link>`;
}

function mention(rng: Rng, ctx: BodyContext): Part {
  return markup`<ac:link><ri:user ri:account-id="${rng.pick(ctx.accountIds)}" /></ac:link>`;
}

type Block = (rng: Rng, ctx: BodyContext) => Part;

const BLOCKS: Record<string, Block> = {
  text: (rng) =>
    markup`<h2>${escapeText(rng.pick(WORDS))} overview</h2>${paragraph(rng)}<p>Last reviewed: <time datetime="2026-03-${String(1 + rng.int(28)).padStart(2, '0')}" /></p><hr />`,
  lists: (rng) =>
    markup`<ul><li>${sentences(rng, 1)}</li><li>${sentences(rng, 1)}<ol><li>${sentences(rng, 1)}</li><li><p>${sentences(rng, 1)}</p></li></ol></li></ul>`,
  code: (rng) =>
    markup`<ac:structured-macro ac:name="code" ac:schema-version="1" ac:macro-id="${uuid(rng)}"><ac:parameter ac:name="language">${rng.pick(['bash', 'json', 'sql', 'java'])}</ac:parameter><ac:parameter ac:name="linenumbers">true</ac:parameter><ac:plain-text-body>${cdata(
      `if [ "$ENV" != "prod" ] && [ -n "$DB_URL" ]; then\n  psql "$DB_URL" -c 'select 1 < 2;'\nfi\n\techo "<done>" & wait\n{"msg": "a]]>b"}`,
    )}</ac:plain-text-body></ac:structured-macro>`,
  panels: (rng) =>
    markup`<ac:structured-macro ac:name="${rng.pick(['info', 'warning', 'note', 'tip'])}" ac:schema-version="1"><ac:parameter ac:name="title">Heads up</ac:parameter><ac:rich-text-body><p>${sentences(rng, 2)}</p></ac:rich-text-body></ac:structured-macro><ac:structured-macro ac:name="panel" ac:schema-version="1"><ac:parameter ac:name="bgColor">#DEEBFF</ac:parameter><ac:rich-text-body><ul><li>On-call: ext. ${1000 + rng.int(9000)}</li></ul></ac:rich-text-body></ac:structured-macro>`,
  links: (rng, ctx) =>
    markup`<p>See ${pageLink(rng, ctx)} and ${pageLink(rng, ctx)} for details. Jump to <ac:link ac:anchor="rollback"><ac:plain-text-link-body>${cdata('rollback steps')}</ac:plain-text-link-body></ac:link>.</p>`,
  tasks: (rng, ctx) =>
    markup`<ac:task-list><ac:task><ac:task-id>1</ac:task-id><ac:task-uuid>${uuid(rng)}</ac:task-uuid><ac:task-status>complete</ac:task-status><ac:task-body>Write the announcement</ac:task-body></ac:task><ac:task><ac:task-id>2</ac:task-id><ac:task-uuid>${uuid(rng)}</ac:task-uuid><ac:task-status>incomplete</ac:task-status><ac:task-body>Ping ${mention(rng, ctx)} for sign-off by <time datetime="2026-12-01" /></ac:task-body></ac:task></ac:task-list>`,
  expandStatus: (rng) =>
    markup`<p>State: <ac:structured-macro ac:name="status" ac:schema-version="1"><ac:parameter ac:name="colour">${rng.pick(['Green', 'Red', 'Yellow'])}</ac:parameter><ac:parameter ac:name="title">On track</ac:parameter></ac:structured-macro></p><ac:structured-macro ac:name="expand" ac:schema-version="1"><ac:parameter ac:name="title">Show the timeline</ac:parameter><ac:rich-text-body><ol><li>Design review</li><li>Beta</li><li>GA</li></ol></ac:rich-text-body></ac:structured-macro>`,
  table: (rng) => {
    const rows: Part[] = [];
    for (let r = 0, n = 2 + rng.int(6); r < n; r++) {
      rows.push(
        markup`<tr><td><p>${escapeText(rng.pick(WORDS))}</p></td><td><p><code>${rng.hex(6)}.example.com</code></p></td></tr>`,
      );
    }
    return markup`<table data-table-width="760" data-layout="default" ac:local-id="${rng.hex(4)}"><colgroup><col style="width: 240.0px;" /><col style="width: 520.0px;" /></colgroup><tbody><tr><th><p><strong>Region</strong></p></th><th><p><strong>Endpoint</strong></p></th></tr>${rows}<tr><td colspan="2"><p>Moved &rarr; see below</p></td></tr></tbody></table>`;
  },
  images: (rng) =>
    markup`<ac:image ac:align="center" ac:layout="center" ac:width="600" ac:alt="System diagram"><ri:attachment ri:filename="arch diagram v${1 + rng.int(5)}.png" ri:version-at-save="3" /><ac:caption><p>The data flow</p></ac:caption></ac:image><p>Logo: <ac:image ac:height="40"><ri:url ri:value="https://cdn.example.com/logo.svg" /></ac:image></p>`,
  layout: (rng) =>
    markup`<ac:layout><ac:layout-section ac:type="two_equal" ac:breakout-mode="default"><ac:layout-cell><h3>Left</h3>${paragraph(rng)}</ac:layout-cell><ac:layout-cell><h3>Right</h3>${paragraph(rng)}</ac:layout-cell></ac:layout-section><ac:layout-section ac:type="single"><ac:layout-cell><p>Footer text</p></ac:layout-cell></ac:layout-section></ac:layout>`,
  emoticons: (rng, ctx) =>
    markup`<p>Shipped <ac:emoticon ac:name="tick" ac:emoji-shortname=":check_mark:" ac:emoji-id="atlassian-check_mark" ac:emoji-fallback="&#x2714;&#xFE0F;" /> thanks to ${mention(rng, ctx)}! <ac:emoticon ac:name="smile" /> <ac:emoticon ac:name="blue-star" ac:emoji-shortname=":tada:" ac:emoji-id="1f389" ac:emoji-fallback="&#x1F389;" /></p>`,
  unknownMacro: (rng) =>
    markup`<ac:structured-macro ac:name="acme-custom-widget" ac:schema-version="1"><ac:parameter ac:name="secretConfig">internal-only-param-value</ac:parameter><ac:rich-text-body><p>Body text of an unknown macro.</p></ac:rich-text-body></ac:structured-macro><ac:structured-macro ac:name="toc" ac:schema-version="1"><ac:parameter ac:name="maxLevel">3</ac:parameter></ac:structured-macro><ac:structured-macro ac:name="jira" ac:schema-version="1"><ac:parameter ac:name="server">System JIRA</ac:parameter><ac:parameter ac:name="key">OPS-${rng.int(9999)}</ac:parameter></ac:structured-macro>`,
  placeholders: (rng) =>
    markup`<p><ac:placeholder>Type your summary here</ac:placeholder></p><p>The <ac:inline-comment-marker ac:ref="${uuid(rng)}">quarterly target</ac:inline-comment-marker> is ${rng.int(40)}%.</p><ac:structured-macro ac:name="anchor" ac:schema-version="1"><ac:parameter ac:name="">rollback</ac:parameter></ac:structured-macro><h2>Rollback</h2><p>Revert the tag.</p>`,
  adf: (rng) =>
    markup`<ac:adf-extension><ac:adf-node type="decision-list"><ac:adf-attribute key="local-id">${rng.hex(8)}</ac:adf-attribute><ac:adf-node type="decision-item"><ac:adf-attribute key="local-id">${rng.hex(8)}</ac:adf-attribute><ac:adf-attribute key="state">DECIDED</ac:adf-attribute><ac:adf-content>We adopt Kafka for ingestion</ac:adf-content></ac:adf-node></ac:adf-node><ac:adf-fallback><ul class="decision-list"><li>We adopt Kafka for ingestion</li></ul></ac:adf-fallback></ac:adf-extension><ac:adf-extension><ac:adf-node type="panel"><ac:adf-attribute key="panel-type">note</ac:adf-attribute><ac:adf-content><p>Purple note panel body</p></ac:adf-content></ac:adf-node><ac:adf-fallback><div class="panel"><p>Purple note panel body</p></div></ac:adf-fallback></ac:adf-extension>`,
  entities: () =>
    markup`<p>Caf&eacute; &amp; cr&egrave;me &ndash; 5&nbsp;&euro; &copy; 2026 &laquo;quoted&raquo; &lt;tag&gt; &#169; &#x263A; 日本語のテキスト Привет ‏עברית‏ 🚀</p>`,
  nested: () =>
    markup`<ac:structured-macro ac:name="expand" ac:schema-version="1"><ac:parameter ac:name="title">Troubleshooting</ac:parameter><ac:rich-text-body><ac:structured-macro ac:name="note" ac:schema-version="1"><ac:rich-text-body><p>Check the logs first.</p><ac:structured-macro ac:name="code" ac:schema-version="1"><ac:parameter ac:name="language">json</ac:parameter><ac:plain-text-body>${cdata('{"level": "error", "msg": "a]]>b"}')}</ac:plain-text-body></ac:structured-macro></ac:rich-text-body></ac:structured-macro></ac:rich-text-body></ac:structured-macro>`,
  attachments: (rng) =>
    markup`<p>Download <ac:link><ri:attachment ri:filename="pricing ${2020 + rng.int(7)}.pdf" /><ac:plain-text-link-body>${cdata('the price list')}</ac:plain-text-link-body></ac:link>. Also <ac:link><ri:attachment ri:filename="terms.docx"><ri:page ri:content-title="Legal" ri:space-key="LEG" /></ri:attachment></ac:link>. Space home: <ac:link><ri:space ri:space-key="HR" /></ac:link></p>`,
};

const HOSTILE: Block = () =>
  markup`<p onclick="steal()">Click <a href="javascript:alert(1)">here</a> or <a href="JaVaScRiPt&#58;alert(2)">there</a>.</p><script>alert('x')</script><style>body{display:none}</style><p><img src="x" onerror="alert(3)" /></p><iframe src="https://evil.example.com"></iframe><ac:structured-macro ac:name="html" ac:schema-version="1"><ac:plain-text-body>${cdata('<div>Embedded <b>HTML</b><script>alert(4)</script><img src=x onerror=alert(5)></div>')}</ac:plain-text-body></ac:structured-macro>`;

const BLOCK_NAMES = Object.keys(BLOCKS);
const HOSTILE_SHARE = 0.05;

/** Whether this page carries the hostile block (script, on* handlers, javascript: links, iframe). */
export function isHostile(seed: number, pageId: number): boolean {
  return unit(seed, 'hostile', pageId) < HOSTILE_SHARE;
}

const END = new Piece('<p>End of page.</p>');

/**
 * Makes the storage-format body of one page version, part by part, handing each to `emit`, which
 * returns the part's length in UTF-16 units (what the target size counts). Same inputs, same text.
 */
export function emitBody(ctx: BodyContext, emit: (part: Part) => number): void {
  const target = bodySize(ctx.seed, ctx.pageId, ctx.version);
  const rng = new Rng(hash32(ctx.seed, 'body', ctx.pageId, ctx.version));
  let size = emit(markup`<h1>${escapeText(ctx.title)}</h1>`);
  if (ctx.fullCatalogue) for (const name of BLOCK_NAMES) size += emit(BLOCKS[name]!(rng, ctx));
  if (isHostile(ctx.seed, ctx.pageId)) size += emit(HOSTILE(rng, ctx));
  // Mostly prose, as in real pages, with a structured block every few paragraphs.
  while (size < target)
    size += emit(rng.chance(0.7) ? paragraph(rng) : BLOCKS[rng.pick(BLOCK_NAMES)]!(rng, ctx));
  emit(END);
}

/** The storage-format body of one page version as text. */
export function generateBody(ctx: BodyContext): string {
  return textOf((emit) => emitBody(ctx, emit));
}

/** A minimal Atlassian Document Format rendering, for `body-format=atlas_doc_format`. */
export function generateAdf(title: string): string {
  return JSON.stringify({
    type: 'doc',
    version: 1,
    content: [{ type: 'paragraph', content: [{ type: 'text', text: title }] }],
  });
}
