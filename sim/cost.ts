// What a response costs the simulated server, in milliseconds: a base per request, plus a share per
// result it carries and per KB of page body in it. Bodies cost more than metadata (a storage body is
// read from the content store and serialized; metadata is a row), so a listing of 250 pages with bodies
// takes several times as long as the same listing without. Pure: a response in, a delay out.
// The numbers are assumptions (sim/README.md says which and why), set by flags and PUT /__sim/settings.

export interface CostModel {
  /** Per request, whatever it carries (routing, auth, the permission check, the round trip). */
  costBaseMs: number;
  /** Per result in a listing (a single page or space counts as one). */
  costPerResultMs: number;
  /** Per KB (1,024 bytes, UTF-8) of page bodies (storage or ADF) in the response. */
  costPerBodyKbMs: number;
}

/** No cost beyond the fixed latency: what tests use unless they ask for the model. */
export const NO_COST: CostModel = { costBaseMs: 0, costPerResultMs: 0, costPerBodyKbMs: 0 };

/** The realistic model's defaults (`--cost realistic`); see sim/README.md for where they come from. */
export const REALISTIC_COST: CostModel = { costBaseMs: 50, costPerResultMs: 0.2, costPerBodyKbMs: 0.1 };

interface Rendered {
  body?: { storage?: { value?: unknown }; atlas_doc_format?: { value?: unknown } };
}

function bodyBytes(item: Rendered | null | undefined): number {
  const value = item?.body?.storage?.value ?? item?.body?.atlas_doc_format?.value;
  return typeof value === 'string' ? Buffer.byteLength(value) : 0;
}

/** What an answer (`{results:[...]}` or one object) carries: results, page bodies and their bytes. */
export function responseContent(body: unknown): { results: number; bodies: number; bodyBytes: number } {
  const results = (body as { results?: unknown } | null)?.results;
  const items = (Array.isArray(results) ? results : [body]) as Rendered[];
  let bodies = 0;
  let bytes = 0;
  for (const item of items) {
    const n = bodyBytes(item);
    bytes += n;
    if (item?.body?.storage?.value !== undefined || item?.body?.atlas_doc_format?.value !== undefined)
      bodies++;
  }
  return { results: items.length, bodies, bodyBytes: bytes };
}

/** What the route handlers' answer costs to serve. */
export function responseCostMs(model: CostModel, body: unknown): number {
  if (model.costBaseMs === 0 && model.costPerResultMs === 0 && model.costPerBodyKbMs === 0) return 0;
  const { results, bodyBytes } = responseContent(body);
  return model.costBaseMs + results * model.costPerResultMs + (bodyBytes / 1024) * model.costPerBodyKbMs;
}
