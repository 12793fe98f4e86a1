// People's public display names, for mentions and authors: storage format names a user only by account
// id, so the ids a listing's pages mention are looked up together (REST v1 bulk user lookup), and kept
// for the rest of the run and the next ones. An account Confluence does not return stays unresolved.
import type { Logger } from '../lib/log.ts';
import type { RawPageBytes, UserRef } from '../schemas/index.ts';
import { ConfluenceError, type ConfluenceClient } from './confluence-client.ts';

/** Ids per request: the URL stays far below the length proxies refuse (each id is ~60 characters). */
export const USERS_PER_REQUEST = 50;
const MENTION = Buffer.from('ri:account-id');
const QUOTE = 0x22;
/** XML's whitespace, the only kind storage format puts around an attribute's `=`. */
const isSpace = (c: number | undefined) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;

/**
 * The account ids a page mentions (`ri:account-id="…"` in its storage body, read as bytes: the body is
 * never decoded in the producer), and its author's.
 */
export function accountsOf(page: Pick<RawPageBytes, 'body' | 'authorId'>): string[] {
  const ids = new Set<string>();
  const { body } = page;
  for (let at = body.indexOf(MENTION); at >= 0; at = body.indexOf(MENTION, at)) {
    at += MENTION.length;
    while (isSpace(body[at])) at++;
    if (body[at] !== 0x3d) continue; // '='
    at++;
    while (isSpace(body[at])) at++;
    if (body[at] !== QUOTE) continue;
    const end = body.indexOf(QUOTE, at + 1);
    if (end > at + 1) ids.add(body.toString('utf8', at + 1, end));
  }
  if (page.authorId) ids.add(page.authorId);
  return [...ids];
}

export interface UserDirectory {
  /** Looks up the ids not seen before; never throws for a refused lookup (names stay unresolved). */
  resolve(ids: Iterable<string>, signal?: AbortSignal): Promise<void>;
  /** The resolved names among `ids`. */
  refs(ids: Iterable<string>): UserRef[];
}

interface BulkUser {
  accountId?: string;
  displayName?: string;
  publicName?: string;
}

export function createUserDirectory(
  client: ConfluenceClient,
  opts: { v1Root: string; log: Logger },
): UserDirectory {
  const { log } = opts;
  const names = new Map<string, string | null>();
  let refused = false;
  return {
    async resolve(ids, signal) {
      const wanted = [...new Set(ids)].filter((id) => !names.has(id));
      for (let i = 0; i < wanted.length && !refused; i += USERS_PER_REQUEST) {
        const chunk = wanted.slice(i, i + USERS_PER_REQUEST);
        const query = new URLSearchParams({ accountId: chunk.join(','), limit: '200' });
        try {
          const { body } = await client.getJson(`${opts.v1Root}/user/bulk?${query.toString()}`, signal);
          for (const u of ((body as { results?: BulkUser[] }).results ?? []) as BulkUser[]) {
            const name = u.displayName || u.publicName;
            if (u.accountId && name) names.set(u.accountId, name);
          }
        } catch (err) {
          if (!(err instanceof ConfluenceError) || err.retryable) throw err;
          // A token that may not read users: mentions keep "@user", the pull goes on.
          refused = true;
          log.warn(
            { status: err.status, path: err.path },
            'Confluence refused the user lookup; mentions stay "@user"',
          );
        }
        for (const id of chunk) if (!names.has(id)) names.set(id, null);
      }
    },
    refs(ids) {
      const out: UserRef[] = [];
      for (const accountId of ids) {
        const displayName = names.get(accountId);
        if (displayName) out.push({ accountId, displayName });
      }
      return out;
    },
  };
}
