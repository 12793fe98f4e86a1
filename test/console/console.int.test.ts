// The console in a real Chromium on the real stack, as an admin uses it: sign in, connect a simulated
// site (a wrong token first), watch the first pull, verify the pages, narrow the scope, release a held
// run, delete the source — at a desktop width and at a phone's, with axe-core on every view.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startSim, type SimHandle } from '../../sim/index.ts';
import { createElasticsearch } from '../../lib/elasticsearch.ts';
import { servicesConfig } from '../../lib/config.ts';
import { aliasName } from '../../indexer/index-names.ts';
import { eventually } from '../indexer/fixtures.ts';
import { expectedPageIds } from '../producer/helpers.ts';
import { launchBrowser, openConsole, screenshot, seriousViolations, type ViewportName } from './browser.ts';
import { ADMIN_TOKEN, cleanUpSources, sourcesEnv, startPipeline, type Pipeline } from '../sources/helpers.ts';

let env: Record<string, string>;
let product: Pipeline;
let consoleUrl: string;
let browser: Browser;

beforeAll(async () => {
  env = sourcesEnv('console');
  product = await startPipeline(env);
  consoleUrl = `${product.sources.url}/console/`;
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await product?.stop();
  if (env) await cleanUpSources(env);
});

/** Fails with axe's own words when a view has a serious or critical accessibility problem. */
async function expectAccessible(page: Page, view: string) {
  const found = await seriousViolations(page);
  expect(found, `${view}: ${JSON.stringify(found, null, 1)}`).toEqual([]);
}

const api = (path: string) => product.api('GET', `/api${path}`);

/** The API's view of the live run, through the same token the console uses. */
let liveRunId: () => Promise<string | null>;

/** The current pages the sim serves that the source's scope still reads (ids). */
function pagesInScope(sim: SimHandle): string[] {
  return expectedPageIds(sim).filter((id) => !excluded.has(sim.admin.page(id).spaceKey));
}
const excluded = new Set<string>();

/** A global, current space with the fewest pages (excluding it must not trip the shrink guard). */
function smallestGlobalSpace(sim: SimHandle): string {
  const perSpace = new Map<string, number>();
  for (const id of expectedPageIds(sim)) {
    const key = sim.admin.page(id).spaceKey;
    perSpace.set(key, (perSpace.get(key) ?? 0) + 1);
  }
  const [key] = sim.admin
    .info()
    .spaces.filter((sp) => sp.type === 'global' && sp.status === 'current' && perSpace.get(sp.key))
    .map((sp) => sp.key)
    .sort((a, b) => perSpace.get(a)! - perSpace.get(b)!);
  excluded.add(key!);
  return key!;
}

/** Every page row of the Verify view, after clicking More pages until all are shown. */
async function loadAllPages(page: Page) {
  const rows = page.locator('table.pages tbody tr');
  await rows.first().waitFor();
  const more = page.getByRole('button', { name: 'More pages' });
  while (await more.count()) {
    const n = await rows.count();
    await more.click();
    await expect.poll(() => rows.count()).toBeGreaterThan(n);
  }
  return rows;
}

describe.each(['desktop', 'phone'] as ViewportName[])('the console at %s width', (viewport) => {
  let sim: SimHandle;
  let page: Page;
  let problems: string[];
  let sourceId: string;
  const shots = (name: string) => screenshot(page, `${name}-${viewport}`);

  beforeAll(async () => {
    excluded.clear();
    liveRunId = async () => (await api(`/sources/${sourceId}`)).body.live?.runId ?? null;
    // Latency makes the first pull last several seconds, so its progress can be watched moving.
    sim = await startSim({ seed: viewport === 'desktop' ? 131 : 132, spaces: 6, pages: 80, latencyMs: 1000 });
    ({ page, problems } = await openConsole(browser, viewport));
  });

  afterAll(async () => {
    await page?.context().close();
    await sim?.close();
  });

  it('signs in with the admin token, and refuses a wrong one', async () => {
    await page.goto(consoleUrl);
    await page.getByLabel('Admin token').fill('not-the-admin-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('not the one the service uses');
    await expectAccessible(page, 'sign-in with an error');
    if (viewport === 'desktop') await shots('sign-in');
    await page.getByLabel('Admin token').fill(ADMIN_TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Data sources' }).waitFor();
    await expectAccessible(page, 'sources list');
  });

  it('refuses a wrong token with the check’s message and stores nothing', async () => {
    await page.getByRole('link', { name: 'Add source' }).first().click();
    await page.getByLabel('Domain').fill(sim.baseUrl);
    await page.getByLabel('Email').fill(sim.email);
    await page.getByLabel('API Token').fill('wrong-api-token-123');
    await page.getByRole('button', { name: 'Connect' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/401|token|credentials/i);
    await expectAccessible(page, 'add source with a failed check');
    await shots('add-source-refused');
    const listed = await api('/sources');
    expect(listed.body.map((s: { siteUrl: string }) => s.siteUrl)).not.toContain(sim.baseUrl);
  });

  it('connects with the right token, shows the first pull moving, and goes live', async () => {
    await page.getByLabel('API Token').fill(sim.token);
    await page.getByRole('button', { name: 'Connect' }).click();
    await page.waitForURL(/#\/sources\/[a-z0-9-]+$/);
    sourceId = decodeURIComponent(new URL(page.url()).hash.split('/')[2]!);
    // The bar and its text while the pull runs: at least two different readings before it ends.
    const seen = new Set<string>();
    let pullingShot: string | undefined;
    const bar = page.locator('.progress-text');
    await eventually(
      async () => {
        const text = await bar.textContent({ timeout: 200 }).catch(() => null);
        if (text) seen.add(text.replace(/ · ETA.*$/, ''));
        if (seen.size === 1 && text && !pullingShot) pullingShot = await shots('source-pulling');
        return seen.size >= 2;
      },
      'the progress bar to move',
      60_000,
    );
    await expectAccessible(page, 'source while pulling');
    await page.locator('h1 .badge', { hasText: 'live' }).waitFor({ timeout: 120_000 });
    await expect
      .poll(() => page.locator('.counts').first().textContent())
      .toMatch(/\d+ public · \d+ internal/);
    await page.locator('.chart svg').waitFor();
    await expectAccessible(page, 'source live');
    await shots('source-live');
    await page.getByRole('link', { name: 'Data sources' }).first().click();
    const card = page.locator(`li[data-source="${sourceId}"]`);
    await expect.poll(() => card.textContent()).toMatch(/live.*\d+ public · \d+ internal/);
    await expectAccessible(page, 'sources list with a live source');
    await shots('sources');
  });

  it('verifies: a personal-space page is internal, a public page links to the site', async () => {
    await page.locator(`li[data-source="${sourceId}"]`).getByRole('link', { name: 'Verify pages' }).click();
    const rows = await loadAllPages(page);
    const personal = rows.filter({ hasText: '~' }).first();
    await expect.poll(() => personal.locator('.badge').textContent()).toContain('internal');
    const publicRow = rows.filter({ has: page.locator('.vis-public') }).first();
    const href = await publicRow.locator('a').getAttribute('href');
    expect(href?.startsWith(`${sim.baseUrl}/wiki/spaces/`)).toBe(true);
    // What the AI would find: the customer-facing answer never has an internal page.
    const personalTitle = (await personal.locator('td').first().textContent())!.trim();
    await page.getByLabel('A question or keywords').fill(personalTitle);
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    const answers = page.locator('.answers');
    await expect.poll(() => answers.textContent()).toContain('Agent-facing');
    expect(await answers.locator('[data-audience=agent]').textContent()).toContain(personalTitle);
    expect(await page.locator('[data-audience=customer] .vis-internal').count()).toBe(0);
    await expectAccessible(page, 'verify');
    await shots('verify');
  });

  it('excludes a space from the scope: its pages are gone after the next run', async () => {
    const space = smallestGlobalSpace(sim);
    await page.getByRole('link', { name: sourceId }).click();
    const scope = page.locator('form', { has: page.getByRole('heading', { name: 'Scope' }) });
    await scope.getByLabel('All but the spaces ticked below').check();
    await scope.getByRole('checkbox', { name: new RegExp(`\\(${space}\\b`) }).check();
    await expectAccessible(page, 'source settings');
    await scope.getByRole('button', { name: 'Save scope' }).click();
    await expect.poll(() => scope.getByRole('status').textContent()).toContain('Saved');
    const liveBefore = await liveRunId();
    await page.getByRole('button', { name: 'Run now' }).click();
    await expect.poll(liveRunId, { timeout: 120_000, interval: 500 }).not.toBe(liveBefore);
    await page.getByRole('link', { name: 'Verify pages' }).click();
    const spaces = await (await loadAllPages(page)).locator('td:nth-child(2)').allTextContents();
    expect(spaces.length).toBeGreaterThan(0);
    expect(spaces.filter((cell) => cell.includes(space))).toEqual([]);
  });

  it('holds a run that would shrink the live pages too much, and releases it', async () => {
    const current = pagesInScope(sim);
    for (const id of current.slice(0, Math.ceil(current.length * 0.7)))
      sim.admin.deletePage(id, { purge: true });
    await page.getByRole('link', { name: sourceId }).click();
    await page.getByRole('button', { name: 'Run now' }).click();
    const heldBox = page.locator('.held');
    await heldBox.waitFor({ timeout: 120_000 });
    expect(await heldBox.textContent()).toMatch(/new run has \d+ pages, the live index \d+/);
    await expectAccessible(page, 'source with a held run');
    await shots('source-held');
    await heldBox.getByRole('button', { name: 'Release' }).click();
    await page.locator('h1 .badge', { hasText: 'live' }).waitFor({ timeout: 60_000 });
    const total = () =>
      page
        .locator('.counts')
        .first()
        .textContent()
        .then((t) =>
          [...(t ?? '').matchAll(/(\d+) (public|internal)/g)].reduce((n, m) => n + Number(m[1]), 0),
        );
    await expect.poll(total).toBe(pagesInScope(sim).length);
  });

  it('deletes the source after a confirmation that says what goes', async () => {
    await page.getByRole('button', { name: 'Delete source' }).click();
    const dialog = page.getByRole('dialog');
    expect(await dialog.textContent()).toMatch(
      /search alias and every index version.*stored email and API token/s,
    );
    await expectAccessible(page, 'delete confirmation');
    await shots('delete-confirm');
    await dialog.getByRole('button', { name: 'Delete source' }).click();
    await expect
      // The service stops a running pull before it removes the indices: that may take some seconds.
      .poll(() => page.locator('.notice').first().textContent(), { timeout: 30_000 })
      .toMatch(/Deleted .*Removed the alias/);
    expect(await page.locator(`li[data-source="${sourceId}"]`).count()).toBe(0);
    expect((await api(`/sources/${sourceId}`)).status).toBe(404);
    const es = createElasticsearch(servicesConfig(env));
    try {
      expect(await es.indices.existsAlias({ name: aliasName(env.INDEX_PREFIX!, sourceId) })).toBe(false);
    } finally {
      await es.close();
    }
  });

  it('raised no page error or CSP violation', () => {
    expect(problems).toEqual([]);
  });
});
