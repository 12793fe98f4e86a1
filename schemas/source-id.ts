// A source's id: the name of its alias and run indices (`<prefix>-<source>…`) and the key of everything
// it writes. Derived the same way wherever a source is defined — the producer's SOURCE_ID default and
// a new source of the sources service — so one site never gets two ids.

/** `acme.atlassian.net` → `acme-atlassian-net`: lowercase [a-z0-9-], usable inside an ES index name. */
export function sourceIdOf(hostAndPort: string): string {
  return hostAndPort
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/** From the site, never the gateway: two sites behind api.atlassian.com get two ids. Data Center keeps its context path. */
export function defaultSourceId(kind: string, domain: string | undefined, siteUrl: string): string {
  if (domain !== undefined && kind !== 'data-center') return sourceIdOf(domain);
  const url = new URL(siteUrl);
  return sourceIdOf(kind === 'data-center' ? `${url.host}${url.pathname}` : url.host);
}
