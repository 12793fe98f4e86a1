// Whole pages in storage format (test/fixtures/storage: NAME.xml with NAME.json saying what the HTML
// must show), converted as `npm run convert` does. The README in that folder describes the format.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { PageContext } from '../../transformer/convert.ts';
import { CTX, convert, elements, unsafety, visible } from './helpers.ts';

interface Expected {
  about: string;
  context?: Partial<PageContext>;
  /** Visible, in this order (whitespace folded). */
  text: string[];
  absent?: string[];
  once?: string[];
  /** A `<pre>` holds exactly this. */
  pre?: string[];
  links?: { text: string; href?: string; hrefIncludes?: string[] }[];
  elements?: {
    tag: string;
    text?: string;
    attr?: Record<string, string>;
    attrIncludes?: Record<string, string[]>;
    count?: number;
  }[];
  noTags?: string[];
}

const dir = new URL('../fixtures/storage/', import.meta.url);
const fixtures = readdirSync(dir)
  .filter((f) => f.endsWith('.xml'))
  .sort()
  .map((f) => {
    const name = f.slice(0, -'.xml'.length);
    return {
      name,
      storage: readFileSync(new URL(f, dir), 'utf8'),
      expected: JSON.parse(readFileSync(new URL(`${name}.json`, dir), 'utf8')) as Expected,
    };
  });
const fold = (s: string) => s.replace(/[\s\u00a0]+/g, ' ').trim();

/** What `html` gets wrong against `exp`; empty when it shows what it must. */
function problems(html: string, exp: Expected): string[] {
  const out = unsafety(html).map((p) => `unsafe: ${p}`);
  const all = elements(html);
  const text = visible(html);
  let at = 0;
  for (const t of exp.text) {
    const i = text.indexOf(fold(t), at);
    if (i < 0) out.push(text.includes(fold(t)) ? `out of order: "${t}"` : `missing: "${t}"`);
    else at = i + fold(t).length;
  }
  for (const t of exp.absent ?? []) if (text.includes(t)) out.push(`shown: "${t}"`);
  for (const t of exp.once ?? [])
    if (text.split(fold(t)).length !== 2) out.push(`not shown exactly once: "${t}"`);
  const pres = all.filter((e) => e.tag === 'pre').map((e) => e.text.replace(/\n$/, ''));
  for (const p of exp.pre ?? []) if (!pres.includes(p)) out.push(`no <pre> holds ${JSON.stringify(p)}`);
  const anchors = all.filter((e) => e.tag === 'a');
  for (const l of exp.links ?? []) {
    const ok = anchors.some(
      (a) =>
        fold(a.text) === l.text &&
        (l.href === undefined || a.attrs.href === l.href) &&
        (l.hrefIncludes ?? []).every((s) => (a.attrs.href ?? '').includes(s)),
    );
    if (!ok) out.push(`no link ${JSON.stringify(l)} among ${JSON.stringify(anchors.map((a) => a.attrs))}`);
  }
  for (const e of exp.elements ?? []) {
    const found = all.filter(
      (n) =>
        n.tag === e.tag &&
        (e.text === undefined || fold(n.text).includes(e.text)) &&
        Object.entries(e.attr ?? {}).every(([k, v]) => k in n.attrs && (v === '' || n.attrs[k] === v)) &&
        Object.entries(e.attrIncludes ?? {}).every(([k, vs]) => vs.every((s) => n.attrs[k]?.includes(s))),
    ).length;
    if (e.count !== undefined ? found !== e.count : found < 1)
      out.push(`element ${JSON.stringify(e)} found ${found} times`);
  }
  for (const t of exp.noTags ?? []) if (all.some((n) => n.tag === t)) out.push(`<${t}> emitted`);
  return out;
}

describe('storage fixtures', () => {
  it('the folder holds fixtures', () => expect(fixtures.length).toBeGreaterThanOrEqual(7));

  it.each(fixtures)('$name converts to what it must show', ({ storage, expected }) => {
    const { html } = convert(storage, expected.context ?? {});
    expect(problems(html, expected)).toEqual([]);
  });

  it('the checks catch a wrong conversion', () => {
    const { storage, expected } = fixtures.find((f) => f.name === 'onboarding-runbook')!;
    const { html } = convert(storage, expected.context ?? {});
    const broken = html.replace('support-cli login', 'support-cli  login') + '<script>x</script>';
    expect(problems(broken, expected)).toEqual(
      expect.arrayContaining([
        'unsafe: <script>',
        expect.stringContaining('no <pre> holds'),
        expect.stringContaining('support-cli login --sso'),
      ]),
    );
  });

  it('`convert` on the command line writes the same HTML', () => {
    const { storage, expected } = fixtures.find((f) => f.name === 'release-notes-layout')!;
    const ctx = { ...CTX, ...expected.context };
    const r = spawnSync(
      process.execPath,
      [
        'cli.ts',
        'convert',
        ...['--base-url', ctx.baseUrl, '--space-key', ctx.spaceKey, '--page-id', ctx.pageId],
        ...['--title', ctx.title],
      ],
      { input: storage, encoding: 'utf8', timeout: 60_000 },
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(convert(storage, expected.context ?? {}).html);
  }, 90_000);
});
