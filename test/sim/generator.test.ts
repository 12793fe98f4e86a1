import { describe, expect, it } from 'vitest';
import { bodySize, generateBodies, generateSite, isHostile } from '../../sim/index.ts';

/** Tag balance outside CDATA: every open tag closed in order, self-closing tags honoured. */
function checkWellFormed(xml: string): void {
  const stack: string[] = [];
  const re =
    /<!\[CDATA\[[\s\S]*?\]\]>|<!--[\s\S]*?-->|<(\/?)([a-zA-Z][\w:-]*)((?:\s+[\w:-]+="[^"]*")*)\s*(\/?)>|<|&(?!(?:[a-zA-Z][a-zA-Z0-9]*|#\d+|#x[0-9a-fA-F]+);)/g;
  for (let m = re.exec(xml); m; m = re.exec(xml)) {
    const token = m[0];
    if (token.startsWith('<![CDATA[') || token.startsWith('<!--')) continue;
    if (token === '<' || token === '&')
      throw new Error(`stray ${token} at ${m.index}: ${xml.slice(m.index, m.index + 60)}`);
    const [, close, name, , selfClose] = m;
    if (selfClose) continue;
    if (close) {
      const open = stack.pop();
      if (open !== name) throw new Error(`</${name}> closes <${open}> at ${m.index}`);
    } else stack.push(name!);
  }
  if (stack.length) throw new Error(`unclosed: ${stack.join(' ')}`);
}

describe('content generator', () => {
  it('is deterministic for a seed and differs across seeds', () => {
    const a = [...generateBodies(40, { seed: 5 })];
    const b = [...generateBodies(40, { seed: 5 })];
    const c = [...generateBodies(40, { seed: 6 })];
    expect(a).toEqual(b);
    expect(a.map((x) => x.body)).not.toEqual(c.map((x) => x.body));
    expect(a).toHaveLength(40);
    expect(a[0]).toMatchObject({
      spaceKey: expect.any(String),
      pageId: expect.stringMatching(/^\d+$/),
      baseUrl: expect.any(String),
    });
  });

  it('sizes bodies from a long tail: median about 5 KB, some over 500 KB, giants around 5 MB', () => {
    const sizes = Array.from({ length: 100_000 }, (_, i) => bodySize(1, 65_537 + i * 5, 1)).sort(
      (x, y) => x - y,
    );
    const median = sizes[sizes.length >> 1]!;
    expect(median).toBeGreaterThan(4_000);
    expect(median).toBeLessThan(6_500);
    expect(sizes.filter((s) => s > 500_000).length).toBeGreaterThan(5);
    const giants = sizes.filter((s) => s >= 4_000_000);
    expect(giants.length).toBeGreaterThan(2);
    expect(giants.length).toBeLessThan(100);
    // Real bodies follow their target sizes.
    for (const g of generateBodies(60, { seed: 2 })) {
      const target = bodySize(2, Number(g.pageId), 1);
      expect(Buffer.byteLength(g.body)).toBeGreaterThanOrEqual(Math.min(target, 400));
    }
  });

  it('generates personal spaces with ~ keys, archived spaces, and non-current pages', () => {
    const site = generateSite({ seed: 9, spaces: 20, pages: 2_000 });
    const personal = site.spaces.filter((s) => s.type === 'personal');
    expect(personal.length).toBeGreaterThanOrEqual(3);
    for (const s of personal) expect(s.key).toMatch(/^~712020[0-9a-f]{32}$/);
    expect(site.spaces.some((s) => s.status === 'archived')).toBe(true);
    const statuses = new Set(site.pages.map((p) => p.status));
    expect([...statuses].sort()).toEqual(['archived', 'current', 'draft', 'trashed']);
    expect(site.pages.filter((p) => p.status === 'current')).toHaveLength(2_000);
    for (let i = 1; i < site.pages.length; i++)
      expect(site.pages[i]!.id).toBeGreaterThan(site.pages[i - 1]!.id);
  });

  it('uses the whole storage-format element catalogue, and well-formed XHTML', () => {
    const bodies = [...generateBodies(300, { seed: 11 })];
    const all = bodies.map((b) => b.body).join('\n');
    for (const needle of [
      'ac:name="code"',
      '<![CDATA[',
      ']]]]><![CDATA[>',
      'ac:name="info"',
      'ac:name="panel"',
      '<ri:page ri:content-title=',
      'ac:anchor=',
      '<ac:task-list>',
      'ac:name="status"',
      'ac:name="expand"',
      '<table',
      'colspan=',
      '<ri:attachment',
      '<ri:url',
      '<ac:layout>',
      '<ac:emoticon',
      '<ri:user ri:account-id=',
      'acme-custom-widget',
      'ac:name="toc"',
      'ac:name="jira"',
      '<ac:placeholder>',
      '<ac:inline-comment-marker',
      'ac:name="anchor"',
      '<ac:adf-extension>',
      '&eacute;',
      '&#x263A;',
      '日本語',
      '🚀',
      '<ri:space ri:space-key=',
      '<time datetime=',
    ]) {
      expect(all, needle).toContain(needle);
    }
    const hostile = bodies.filter((b) => isHostile(11, Number(b.pageId)));
    expect(hostile.length).toBeGreaterThan(0);
    for (const b of hostile) expect(b.body).toMatch(/<script>[\s\S]*onclick=[\s\S]*|onclick=[\s\S]*<script>/);
    for (const b of bodies) checkWellFormed(b.body);
  });

  it('links to other generated pages by title and space key', () => {
    const bodies = [...generateBodies(200, { seed: 4 })];
    const titles = new Set(bodies.map((b) => `${b.spaceKey}|${b.title}`));
    // Attachment links name a fixed page ("Legal" in LEG) that the generator does not create.
    const links = [
      ...bodies
        .map((b) => b.body)
        .join('')
        .matchAll(/<ri:page ri:content-title="([^"]+)" ri:space-key="([^"]+)"/g),
    ].filter((m) => !(m[1] === 'Legal' && m[2] === 'LEG'));
    expect(links.length).toBeGreaterThan(20);
    const unescape = (s: string) =>
      s
        .replace(/&quot;/g, '"')
        .replace(/&lt;/g, '<')
        .replace(/&gt;/g, '>')
        .replace(/&amp;/g, '&');
    const resolved = links.filter((m) => titles.has(`${m[2]}|${unescape(m[1]!)}`));
    expect(resolved.length).toBe(links.length);
  });
});
