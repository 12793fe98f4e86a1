// Shared by the simulator tests: an authenticated client for a running sim.
import { afterAll, beforeAll } from 'vitest';
import { startSim, type SimHandle, type SimOptions } from '../../sim/index.ts';

export interface Reply {
  status: number;
  headers: Headers;
  json: unknown;
  text: string;
}

export function basic(email: string, token: string): string {
  return `Basic ${Buffer.from(`${email}:${token}`).toString('base64')}`;
}

export async function get(
  sim: SimHandle,
  path: string,
  auth: string | null = basic(sim.email, sim.token),
): Promise<Reply> {
  const res = await fetch(sim.baseUrl + path, auth ? { headers: { authorization: auth } } : {});
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, json, text };
}

export interface Listing<T> {
  results: T[];
  _links: { next?: string; base: string };
}

/** Follows `_links.next` to the end, checking that the Link header agrees on every page. */
export async function pageAll<T>(
  sim: SimHandle,
  first: string,
  auth?: string,
): Promise<{ items: T[]; requests: number }> {
  const items: T[] = [];
  let next: string | undefined = first;
  let requests = 0;
  while (next) {
    const r = await get(sim, next, auth);
    if (r.status !== 200) throw new Error(`HTTP ${r.status} for ${next}: ${r.text.slice(0, 300)}`);
    const body = r.json as Listing<T>;
    const link = r.headers.get('link');
    const fromHeader = link ? /<([^>]+)>;\s*rel="next"/.exec(link)?.[1] : undefined;
    if (fromHeader !== body._links.next)
      throw new Error(`Link header ${link} disagrees with _links.next ${body._links.next}`);
    items.push(...body.results);
    next = body._links.next;
    requests++;
  }
  return { items, requests };
}

export interface V2Page {
  id: string;
  status: string;
  title: string;
  spaceId: string;
  parentId?: string;
  version: { number: number };
  body: { storage?: { value: string; representation: string } };
  _links: { webui: string };
}

export interface V2Space {
  id: string;
  key: string;
  type: string;
  status: string;
  homepageId?: string;
}

/** Starts a fresh simulator for the enclosing describe block. */
export function useSim(options: SimOptions = {}): { sim: SimHandle } {
  const ctx = {} as { sim: SimHandle };
  beforeAll(async () => {
    ctx.sim = await startSim({ seed: 7, spaces: 6, pages: 600, ...options });
  });
  afterAll(async () => {
    await ctx.sim.close();
  });
  return ctx;
}
