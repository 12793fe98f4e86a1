// A page's fingerprint: a digest of everything its document depends on besides the body. A refresh
// skips a page's body only when both its version and this digest match the live document's. The version
// covers the body and title; the rest changes in Confluence without a version bump — a read restriction
// added, an ancestor renamed or moved, a label set, the space renamed — or on our side (the visibility
// policy, the converter). Pure: the run computes it from the facts before deciding to fetch the body,
// and stamps the same value on the page it sends (enrich.ts).
import { hash } from 'node:crypto';
import type { RawPage, VisibilityPolicy } from '../schemas/index.ts';

/** What the digest covers: the facts of a page known before its body is fetched, and its decision. */
export type FingerprintFacts = Pick<
  RawPage,
  'version' | 'restricted' | 'ancestorRestricted' | 'ancestors' | 'labels' | 'visibility' | 'visibilityReason'
> & { space: Pick<RawPage['space'], 'id' | 'key' | 'name' | 'type'> };

export interface FingerprintContext {
  /** transformer/convert.ts CONVERTER_VERSION. */
  converter: string;
  policy: VisibilityPolicy;
}

/**
 * The policy in a canonical form (label order and key order do not change the digest), as JSON: the
 * same for every page of a run, so made once per policy object.
 */
const canonical = new WeakMap<VisibilityPolicy, string>();
function canonicalPolicy(policy: VisibilityPolicy): string {
  let json = canonical.get(policy);
  if (json === undefined) {
    json = JSON.stringify({
      internalLabels: [...policy.internalLabels].map((l) => l.toLowerCase()).sort(),
      spaceAudience: Object.keys(policy.spaceAudience)
        .sort()
        .map((key) => [key, policy.spaceAudience[key]]),
    });
    canonical.set(policy, json);
  }
  return json;
}

export function fingerprintOf(page: FingerprintFacts, ctx: FingerprintContext): string {
  const { space } = page;
  const parts = [
    page.version,
    [space.id, space.key, space.name, space.type],
    page.restricted,
    page.ancestorRestricted,
    page.ancestors.map((a) => [a.id, a.title]),
    [...page.labels].sort(),
    page.visibility,
    page.visibilityReason,
    ctx.converter,
  ];
  // The policy's JSON spliced in as the last element: the same text JSON.stringify(parts) gave with it.
  const json = `${JSON.stringify(parts).slice(0, -1)},${canonicalPolicy(ctx.policy)}]`;
  // One-shot: no Hash object per page.
  return hash('sha256', json, 'base64url');
}
