// `producer preview` against the simulator: every space with its type, status, pages and audience by
// reason, from the same restriction facts a run reads; and what it says when restrictions are unreadable.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../lib/log.ts';
import { formatPreview, previewSite } from '../../producer/preview.ts';
import { startGateway, startSim, type GatewayHandle, type SimHandle } from '../../sim/index.ts';
import { simConfig } from './helpers.ts';

const log = createLogger('preview-test');
log.level = 'silent';
let sim: SimHandle;
let gateway: GatewayHandle;

beforeAll(async () => {
  sim = await startSim({ seed: 99, spaces: 4, pages: 60 });
  sim.admin.setUser('bot@example.com', {
    token: 'scoped-bot-token',
    scopes: ['read:confluence-user', 'read:space:confluence', 'read:page:confluence'],
  });
  gateway = await startGateway({ sites: [sim] });
});
afterAll(async () => {
  await gateway?.close();
  await sim?.close();
});

describe('producer preview', () => {
  it('lists every space with type, status, current pages and the audience by reason', async () => {
    const [docs, sys] = sim.admin.info().spaces.filter((s) => s.type === 'global');
    sim.admin.updateSpace(sys!.key, { type: 'system' });
    const restricted = sim.admin.addPage({ space: docs!.id, title: 'Secret', restricted: true });
    const labelled = sim.admin.addPage({ space: docs!.id, title: 'Draft' });
    sim.admin.labelPage(labelled.id, ['internal-only']);
    const requestsBefore = sim.admin.info().requests;

    const preview = await previewSite(simConfig(sim), log);
    expect(preview.restrictionsReadable).toBe(true);
    expect(preview.spaces.map((s) => s.key).sort()).toEqual(
      sim.admin
        .info()
        .spaces.map((s) => s.key)
        .sort(),
    );
    const total = preview.spaces.reduce((n, s) => n + s.pages, 0);
    expect(total).toBe(sim.admin.info().pages);
    const d = preview.spaces.find((s) => s.key === docs!.key)!;
    expect(d.type).toBe('global');
    expect(d.reasons.restricted).toBeGreaterThanOrEqual(1);
    expect(d.reasons.label).toBe(1);
    expect(d.publicPages).toBe(d.reasons.default);
    const s = preview.spaces.find((x) => x.key === sys!.key)!;
    expect(s).toMatchObject({ type: 'system', publicPages: 0 });
    expect(s.reasons['space-type'] ?? 0).toBeGreaterThan(0);
    const personal = preview.spaces.find((x) => x.type === 'personal')!;
    expect(personal.publicPages).toBe(0);
    // Spaces, identity, then one search per space: the cost stays per space, not per page.
    expect(preview.requests).toBeLessThanOrEqual(2 + preview.spaces.length * 2);
    expect(sim.admin.info().requests - requestsBefore).toBe(preview.requests);
    expect(formatPreview(preview)).toContain(`${sys!.key}`);
    sim.admin.deletePage(restricted.id, { purge: true });
  });

  it('with a token that may not search, says so: nothing would be public', async () => {
    const preview = await previewSite(
      simConfig(sim, {
        CONFLUENCE_DEPLOYMENT: 'cloud-scoped',
        CONFLUENCE_GATEWAY_URL: gateway.url,
        CONFLUENCE_EMAIL: 'bot@example.com',
        CONFLUENCE_API_TOKEN: 'scoped-bot-token',
      }),
      log,
    );
    expect(preview.restrictionsReadable).toBe(false);
    expect(preview.spaces.every((s) => s.publicPages === 0)).toBe(true);
    expect(preview.spaces.some((s) => (s.reasons['restrictions-unreadable'] ?? 0) > 0)).toBe(true);
    expect(formatPreview(preview)).toMatch(/search:confluence/);
  });
});
