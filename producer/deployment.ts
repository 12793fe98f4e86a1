// The ways a Confluence site is reached, and what each needs: pure rules, no I/O. The clients that
// follow them live in site.ts; nothing after the producer knows which one a run used.

/**
 * - `cloud`: Confluence Cloud with a classic API token, Basic email:token on the site itself.
 * - `cloud-scoped`: Cloud with a scoped API token, which works only through Atlassian's gateway
 *   (`https://api.atlassian.com/ex/confluence/{cloudId}`) and is refused with 401 on `*.atlassian.net`.
 * - `data-center`: Server / Data Center, REST v1 only, a personal access token as `Bearer`.
 */
export const DEPLOYMENT_KINDS = ['cloud', 'cloud-scoped', 'data-center'] as const;
export type DeploymentKind = (typeof DEPLOYMENT_KINDS)[number];

/** Where a Cloud site tells its cloud id, without authentication (Atlassian KB "Retrieve my Atlassian site's Cloud ID"). */
export const TENANT_INFO = '/_edge/tenant_info';

/** The gateway root a scoped token's requests go to: the `/wiki/...` paths hang off it. */
export function gatewayApiUrl(gatewayUrl: string, cloudId: string): string {
  return `${gatewayUrl.replace(/\/+$/, '')}/ex/confluence/${encodeURIComponent(cloudId)}`;
}

/**
 * The scopes a scoped token needs for a pull, by the requests that need them. Spaces and pages:
 * the `security` of each v2 operation in Atlassian's OpenAPI document (test/reference/); the
 * current user (the identity check): the v1 "Get current user" reference, classic scope
 * `read:confluence-user` (granular `read:content-details:confluence`).
 */
export const REQUIRED_SCOPES: readonly { scope: string; path: RegExp; what: string }[] = [
  {
    scope: 'read:confluence-user',
    path: /\/wiki\/rest\/api\/user\/current$/,
    what: 'who the token signs in as',
  },
  { scope: 'read:space:confluence', path: /\/wiki\/api\/v2\/spaces$/, what: 'the space listing' },
  {
    scope: 'read:page:confluence',
    path: /\/wiki\/api\/v2\/(spaces\/[^/]+\/)?pages(\/[^/]+)?$/,
    what: 'pages',
  },
  // v1 Search reference (classic `search:confluence`, granular `read:content-details:confluence`).
  {
    scope: 'search:confluence',
    path: /\/wiki\/rest\/api\/content\/search$/,
    what: "pages' read restrictions, ancestors and labels",
  },
];

/** The scope a request path needs, when it is one the pull makes. */
export function scopeFor(path: string): { scope: string; what: string } | undefined {
  const pathname = path.replace(/\?.*$/, '');
  return REQUIRED_SCOPES.find((s) => s.path.test(pathname));
}
