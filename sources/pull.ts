// The sources service drives the producer in-process: a source record becomes the producer's config
// (the token decrypted here and only here, straight into the authorization header) for a check or a pull.
import type { Logger } from '../lib/log.ts';
import { checkAccess, type CheckResult } from '../producer/check.ts';
import { siteConfig, type ProducerConfig, type ProducerTuning, type SiteAccess } from '../producer/config.ts';
import type { SourceRecord } from './record.ts';
import type { SecretKey } from './secret-box.ts';

export function recordConfig(tuning: ProducerTuning, key: SecretKey, r: SourceRecord): ProducerConfig {
  return siteConfig(tuning, {
    deployment: r.deployment.kind,
    cloudId: r.deployment.cloudId,
    sourceId: r.id,
    siteUrl: r.siteUrl,
    email: r.email,
    token: key.open(r.token, r.id),
    scope: r.scope,
  });
}

/** `producer check` for a site about to be saved: throws its UserError (message and hint) when it fails. */
export function checkSite(tuning: ProducerTuning, access: SiteAccess, log: Logger): Promise<CheckResult> {
  return checkAccess(siteConfig(tuning, access), log.child({ sourceId: access.sourceId }));
}
