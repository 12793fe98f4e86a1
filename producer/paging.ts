// Cursor paging as Confluence REST v2 does it: each listing answers with the next request to make, in
// `_links.next` and in a `Link: <...>; rel="next"` header, as a URL relative to the site root.
// Following it exactly (never rebuilding the cursor ourselves) is what makes the listing complete.

/** `<a>; rel="next", <b>; rel="base"` → { next: 'a', base: 'b' }. */
export function parseLinkHeader(header: string | undefined): Record<string, string> {
  const links: Record<string, string> = {};
  if (!header) return links;
  for (const m of header.matchAll(/<([^>]*)>\s*((?:;\s*[^;,]+)*)/g)) {
    const rel = /;\s*rel\s*=\s*"?([^";]+)"?/i.exec(m[2] ?? '');
    if (rel) for (const name of rel[1]!.trim().split(/\s+/)) links[name.toLowerCase()] ??= m[1]!;
  }
  return links;
}

/** The next listing request, from the body's `_links.next` or else the Link header; undefined at the end. */
export function nextLink(body: unknown, linkHeader: string | undefined): string | undefined {
  const links = (body as { _links?: { next?: unknown } } | null)?._links;
  if (typeof links?.next === 'string' && links.next !== '') return links.next;
  return parseLinkHeader(linkHeader).next;
}

/**
 * Resolves a next link against the site root (`https://acme.atlassian.net`, or a proxy/simulator base
 * that may carry a path prefix). An absolute link must stay on the site: credentials go nowhere else.
 */
export function resolveNext(siteUrl: string, next: string): string {
  const root = siteUrl.replace(/\/+$/, '');
  if (/^[a-z][a-z0-9+.-]*:/i.test(next)) {
    const url = new URL(next);
    if (url.origin !== new URL(root).origin) {
      throw new Error(
        `Refusing to follow a next link to another site: ${url.origin} (site is ${new URL(root).origin})`,
      );
    }
    return url.href;
  }
  return `${root}${next.startsWith('/') ? '' : '/'}${next}`;
}
