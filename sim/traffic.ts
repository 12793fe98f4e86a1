// What the simulated site served: requests, results, page bodies and bytes, in total and by route, so
// tests can assert what a run fetched (not how long it took) and benchmarks can report it.
import type { AnswerContent } from './answer.ts';

/** What the site served, by path family (ids replaced by `{id}`): for tests and benchmarks. */
export interface Served {
  requests: number;
  results: number;
  /** Page bodies (storage or ADF) in the answers. */
  bodies: number;
  bodyBytes: number;
  /** Response bytes on the wire (gzip-compressed when the client asked: sim/compression.ts). */
  bytes: number;
  /** Response bytes as JSON, before any compression. */
  jsonBytes: number;
}

const noTraffic = (): Served => ({
  requests: 0,
  results: 0,
  bodies: 0,
  bodyBytes: 0,
  bytes: 0,
  jsonBytes: 0,
});

export class Traffic {
  readonly total: Served = noTraffic();
  readonly byRoute = new Map<string, Served>();

  count(path: string, status: number, content: AnswerContent, bytes: { wire: number; json: number }): void {
    const route = path.replace(/\/\d+(?=\/|$)/g, '/{id}');
    let served = this.byRoute.get(route);
    if (!served) this.byRoute.set(route, (served = noTraffic()));
    for (const s of [served, this.total]) {
      s.requests++;
      s.bytes += bytes.wire;
      s.jsonBytes += bytes.json;
      if (status >= 400) continue; // an error's body is no content
      s.results += content.results;
      s.bodies += content.bodies;
      s.bodyBytes += content.bodyBytes;
    }
  }

  reset(): void {
    Object.assign(this.total, noTraffic());
    this.byRoute.clear();
  }

  /** A copy, for a report: `{ total, byRoute: { '/wiki/api/v2/pages': {...}, ... } }`. */
  snapshot(): { total: Served; byRoute: Record<string, Served> } {
    return {
      total: { ...this.total },
      byRoute: Object.fromEntries([...this.byRoute].map(([k, v]) => [k, { ...v }])),
    };
  }
}
