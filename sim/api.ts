// What route handlers take and return: plain data, so they can be tested without a socket.
import type { User } from './users.ts';

export interface ApiRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  user: User;
  /** Site root, e.g. `http://127.0.0.1:4100` (Confluence's `https://acme.atlassian.net`). */
  siteUrl: string;
}

export interface ApiResponse {
  status: number;
  headers?: Record<string, string>;
  body: unknown;
}

/** Raised by query parsing; rendered as a 400 in the API's own error shape. */
export class BadRequestError extends Error {}

/** Comma-separated and/or repeated parameters, as Confluence accepts both. */
export function listParam(q: URLSearchParams, name: string): string[] | undefined {
  const all = q.getAll(name);
  if (all.length === 0) return undefined;
  return all.flatMap((v) => v.split(',')).filter((v) => v !== '');
}

export function intListParam(q: URLSearchParams, name: string, maxItems: number): number[] | undefined {
  const list = listParam(q, name);
  if (!list) return undefined;
  if (list.length > maxItems) throw new BadRequestError(`Too many values for '${name}' (max ${maxItems})`);
  return list.map((v) => {
    if (!/^\d+$/.test(v))
      throw new BadRequestError(`Invalid value '${v}' for '${name}': expected an integer id`);
    return Number(v);
  });
}

export function enumParam<T extends string>(
  q: URLSearchParams,
  name: string,
  allowed: readonly T[],
): T | undefined {
  const v = q.get(name);
  if (v === null) return undefined;
  if (!allowed.includes(v as T)) {
    throw new BadRequestError(`Invalid value '${v}' for '${name}'; expected one of: ${allowed.join(', ')}`);
  }
  return v as T;
}

export function enumListParam<T extends string>(
  q: URLSearchParams,
  name: string,
  allowed: readonly T[],
): T[] | undefined {
  const list = listParam(q, name);
  if (!list) return undefined;
  for (const v of list) {
    if (!allowed.includes(v as T)) {
      throw new BadRequestError(`Invalid value '${v}' for '${name}'; expected one of: ${allowed.join(', ')}`);
    }
  }
  return list as T[];
}

export function boolParam(q: URLSearchParams, name: string): boolean | undefined {
  const v = q.get(name);
  if (v === null) return undefined;
  if (v !== 'true' && v !== 'false')
    throw new BadRequestError(`Invalid value '${v}' for '${name}': expected true or false`);
  return v === 'true';
}

/** An integer parameter; values above `max` are clamped, as Confluence does with `limit`. */
export function intParam(q: URLSearchParams, name: string, dflt: number, min: number, max: number): number {
  const v = q.get(name);
  if (v === null) return dflt;
  if (!/^-?\d+$/.test(v) || Number(v) < min) {
    throw new BadRequestError(`Invalid value '${v}' for '${name}': expected an integer >= ${min}`);
  }
  return Math.min(Number(v), max);
}
