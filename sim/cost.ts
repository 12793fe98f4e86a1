// What a response costs the simulated server, in milliseconds: a base per request, plus a share per
// result it carries and per KB of page body in it. Bodies cost more than metadata (a storage body is
// read from the content store and serialized; metadata is a row), so a listing of 250 pages with bodies
// takes several times as long as the same listing without. Pure: a response in, a delay out.
// The numbers are assumptions (sim/README.md says which and why), set by flags and PUT /__sim/settings.
import type { AnswerContent } from './answer.ts';

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

/** What the route handlers' answer costs to serve, from what it carries (answer.ts). */
export function responseCostMs(
  model: CostModel,
  content: Pick<AnswerContent, 'results' | 'bodyBytes'>,
): number {
  if (model.costBaseMs === 0 && model.costPerResultMs === 0 && model.costPerBodyKbMs === 0) return 0;
  return (
    model.costBaseMs +
    content.results * model.costPerResultMs +
    (content.bodyBytes / 1024) * model.costPerBodyKbMs
  );
}
