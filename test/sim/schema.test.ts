// Every v2 response kind validates against Atlassian's published OpenAPI schema.
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { get, useSim, type V2Page, type V2Space } from './helpers.ts';

const spec = JSON.parse(
  readFileSync(
    new URL('../../sim/reference/confluence-rest-v2-pages-spaces.openapi.json', import.meta.url),
    'utf8',
  ),
) as {
  paths: Record<
    string,
    Record<string, { responses: Record<string, { content?: Record<string, { schema: object }> }> }>
  >;
  components: { schemas: Record<string, object> };
};

// OpenAPI 3.0 keywords ajv does not know are ignored (strict off); `nullable` is understood natively.
const ajv = new Ajv({ strict: false, allErrors: true });
addFormats.default(ajv);
ajv.addSchema({ components: spec.components }, 'spec');

function validator(path: string) {
  const schema = spec.paths[path]!.get!.responses['200']!.content!['application/json']!.schema;
  // Rewrite local refs to point into the registered spec document.
  const rewritten = JSON.parse(JSON.stringify(schema).replace(/"#\/components\//g, '"spec#/components/'));
  return ajv.compile(rewritten);
}

describe('v2 responses match the published schema', () => {
  const ctx = useSim({ pages: 150 });

  it.each([
    ['/spaces', '/wiki/api/v2/spaces?limit=3'],
    ['/spaces', '/wiki/api/v2/spaces?limit=250&description-format=plain&include-icon=true'],
    ['/pages', '/wiki/api/v2/pages?limit=50'],
    ['/pages', '/wiki/api/v2/pages?limit=50&body-format=storage&status=current,archived,trashed'],
    ['/pages', '/wiki/api/v2/pages?limit=5&body-format=atlas_doc_format&sort=-modified-date'],
  ])('%s  %s', async (path, url) => {
    const r = await get(ctx.sim, url);
    expect(r.status).toBe(200);
    const validate = validator(path);
    expect(validate(r.json), JSON.stringify(validate.errors)).toBe(true);
    expect((r.json as { results: unknown[] }).results.length).toBeGreaterThan(0);
    expect(validate({ results: [{ id: 1, status: 'gone' }] }), 'the validator can fail').toBe(false);
  });

  it('single space, single page and a space’s pages', async () => {
    const { sim } = ctx;
    const space = ((await get(sim, '/wiki/api/v2/spaces?limit=1')).json as { results: V2Space[] })
      .results[0]!;
    const one = await get(sim, `/wiki/api/v2/spaces/${space.id}?description-format=view`);
    const vSpace = validator('/spaces/{id}');
    expect(vSpace(one.json), JSON.stringify(vSpace.errors)).toBe(true);

    const pages = await get(sim, `/wiki/api/v2/spaces/${space.id}/pages?body-format=storage&depth=all`);
    const vPages = validator('/spaces/{id}/pages');
    expect(vPages(pages.json), JSON.stringify(vPages.errors)).toBe(true);

    const page = (pages.json as { results: V2Page[] }).results[0]!;
    const vPage = validator('/pages/{id}');
    for (const fmt of ['storage', 'atlas_doc_format', 'view']) {
      const single = await get(sim, `/wiki/api/v2/pages/${page.id}?body-format=${fmt}`);
      expect(vPage(single.json), JSON.stringify(vPage.errors)).toBe(true);
    }
  });

  it('accepts exactly the query parameters the schema names for each endpoint', async () => {
    const { sim } = ctx;
    // Every documented parameter, with a valid value, is accepted (200), not rejected as unknown.
    const values: Record<string, string> = {
      id: '1',
      ids: '1',
      'space-id': '1',
      keys: 'ENG',
      sort: 'id',
      status: 'current',
      title: 'x',
      'body-format': 'storage',
      cursor: '',
      limit: '10',
      type: 'global',
      labels: 'a',
      'favorited-by': 'a',
      'not-favorited-by': 'a',
      'description-format': 'plain',
      'include-icon': 'true',
      depth: 'root',
      'get-draft': 'false',
      version: '1',
    };
    const space = ((await get(sim, '/wiki/api/v2/spaces?limit=1')).json as { results: V2Space[] })
      .results[0]!;
    for (const [path, ops] of Object.entries(spec.paths)) {
      const params = (ops.get as unknown as { parameters: { name: string; in: string }[] }).parameters;
      const concrete = path.replace('{id}', path.startsWith('/spaces') ? space.id : space.homepageId!);
      for (const p of params.filter((x) => x.in === 'query' && x.name !== 'cursor')) {
        const value = p.name === 'status' && path === '/spaces' ? 'current' : values[p.name]!;
        const r = await get(sim, `/wiki/api/v2${concrete}?${p.name}=${encodeURIComponent(value)}`);
        expect(r.status, `${path} ${p.name}`).toBe(200);
      }
    }
  });
});
