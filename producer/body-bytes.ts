// A fetched page's storage body taken out of its JSON as UTF-8 bytes, never decoded into a JS string: the
// body is ~95% of a by-id answer, and as a string it was decoded from UTF-8, parsed, kept in V8's heap
// (promoted to the old generation while its batch waited) and encoded back to UTF-8 for Avro, which
// writes a string and bytes alike. The rest of the element (a few hundred bytes of metadata) is parsed
// as JSON with the body's value emptied. Pure: bytes in, bytes out.
import { isUtf8 } from 'node:buffer';

import {
  BACKSLASH,
  BRACE_CLOSE,
  BRACE_OPEN,
  BRACKET_CLOSE,
  BRACKET_OPEN,
  COLON,
  COMMA,
  QUOTE,
} from './listing-split.ts';

/** The key path of the storage body in a v2 page: `body.storage.value`. */
const PATH = ['body', 'storage', 'value'].map((k) => Buffer.from(k));

/** Index of the quote closing the string whose content starts at `from` (-1: not closed). */
function stringEnd(b: Buffer, from: number): number {
  for (let i = from; ;) {
    const q = b.indexOf(QUOTE, i);
    if (q < 0) return -1;
    let backslashes = 0;
    while (q - backslashes - 1 >= from && b[q - backslashes - 1] === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return q;
    i = q + 1;
  }
}

/** Whether `b[start, end)` is `key`'s bytes (compared in place: a view per key was ~3 KB of garbage a page). */
function bytesEqual(b: Buffer, start: number, end: number, key: Buffer): boolean {
  if (end - start !== key.length) return false;
  for (let k = 0; k < key.length; k++) if (b[start + k] !== key[k]) return false;
  return true;
}

/** Whether the keys read at depths 1 … PATH.length are the path's steps, in order. */
function onPath(keyAt: (number | undefined)[]): boolean {
  for (let step = 0; step < PATH.length; step++) if (keyAt[step + 1] !== step) return false;
  return true;
}

/** Where the content of `body.storage.value` is (between its quotes), or undefined when absent. */
function findStorageValue(b: Buffer): { start: number; end: number } | undefined {
  // The key last read at each depth (objects) and whether the next string there is a key.
  const keyAt: (number | undefined)[] = [];
  const inObject: boolean[] = [];
  let depth = 0;
  let expectKey = false;
  for (let i = 0; i < b.length; i++) {
    const c = b[i];
    if (c === QUOTE) {
      const end = stringEnd(b, i + 1);
      if (end < 0) return undefined;
      if (!expectKey && depth === PATH.length && onPath(keyAt)) return { start: i + 1, end };
      if (expectKey) {
        // A key matters only on the path: remember which step of it (or none) it is.
        const step = depth - 1;
        keyAt[depth] = step < PATH.length && bytesEqual(b, i + 1, end, PATH[step]!) ? step : undefined;
      }
      i = end;
      continue;
    }
    switch (c) {
      case BRACE_OPEN:
      case BRACKET_OPEN:
        depth++;
        inObject[depth] = c === BRACE_OPEN;
        keyAt[depth] = undefined;
        expectKey = c === BRACE_OPEN;
        break;
      case BRACE_CLOSE:
      case BRACKET_CLOSE:
        depth--;
        expectKey = false;
        break;
      case COLON:
        expectKey = false;
        break;
      case COMMA:
        expectKey = inObject[depth] === true;
        break;
    }
  }
  return undefined;
}

const ESCAPED: Record<number, number> = {
  0x22: 0x22, // \"
  0x5c: 0x5c, // \\
  0x2f: 0x2f, // \/
  0x62: 0x08, // \b
  0x66: 0x0c, // \f
  0x6e: 0x0a, // \n
  0x72: 0x0d, // \r
  0x74: 0x09, // \t
};

const HEX4 = /^[0-9a-fA-F]{4}$/;
/** The code unit of the four hex digits at `at` (a `\\u` escape's). */
function hex4(b: Buffer, at: number): number {
  const digits = b.toString('latin1', at, at + 4);
  if (!HEX4.test(digits)) throw new SyntaxError('a bad \\u escape in a JSON string');
  return Number.parseInt(digits, 16);
}

/**
 * The UTF-8 bytes of the JSON string content `src[start, end)` written into `out` from 0; returns their
 * length. What JSON.parse then UTF-8 encoding would give: a lone surrogate becomes U+FFFD.
 */
function unescapeInto(src: Buffer, start: number, end: number, out: Buffer): number {
  let at = 0;
  let from = start;
  for (let bs = src.indexOf(BACKSLASH, from); bs >= 0 && bs < end; bs = src.indexOf(BACKSLASH, from)) {
    at += src.copy(out, at, from, bs);
    const e = src[bs + 1]!;
    if (e !== 0x75) {
      const c = ESCAPED[e];
      if (c === undefined) throw new SyntaxError('a bad escape in a JSON string');
      out[at++] = c;
      from = bs + 2;
      continue;
    }
    let code = hex4(src, bs + 2);
    from = bs + 6;
    if (code >= 0xd800 && code <= 0xdbff) {
      const low =
        src[from] === BACKSLASH && src[from + 1] === 0x75 && from + 6 <= end ? hex4(src, from + 2) : -1;
      if (low >= 0xdc00 && low <= 0xdfff) {
        code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
        from += 6;
      } else code = 0xfffd;
    } else if (code >= 0xdc00 && code <= 0xdfff) code = 0xfffd;
    at += out.write(String.fromCodePoint(code), at, 'utf8');
  }
  return at + src.copy(out, at, from, end);
}

/** Bodies are carved out of slabs of this size: one allocation per ~40 pages, not one per page. */
const SLAB_BYTES = 1024 * 1024;

/** Not streaming, so stateless: one serves every reader. Bytes that are not UTF-8 become U+FFFD, as in JSON.parse. */
const utf8 = new TextDecoder('utf-8', { fatal: false });

/**
 * An element that arrived in several chunks (most do: a page's JSON is ~13 KB, a chunk 16–64 KB) is
 * joined in this buffer, reused by the next one, instead of a buffer of its own per page: nothing keeps
 * the joined bytes (the body is copied into a slab, the rest decoded to a string), and fresh buffers
 * were ~260 MB per 20,000 pages of allocations for the garbage collector. `read` is synchronous, so
 * one buffer serves every reader; an element larger than it gets its own.
 */
const scratch = Buffer.allocUnsafeSlow(SLAB_BYTES);

function joined(parts: Uint8Array[]): Buffer {
  if (parts.length === 1) return Buffer.from(parts[0]!.buffer, parts[0]!.byteOffset, parts[0]!.byteLength);
  let size = 0;
  for (const part of parts) size += part.byteLength;
  if (size > scratch.length) return Buffer.concat(parts, size);
  let at = 0;
  for (const part of parts) {
    scratch.set(part, at);
    at += part.byteLength;
  }
  return scratch.subarray(0, size);
}

export interface StorageBodyReader {
  /**
   * A page element's JSON (its bytes' parts) as the page without its storage body (`body.storage.value`
   * emptied) and the body's UTF-8 bytes (empty when the page has none). Throws SyntaxError for bad JSON.
   */
  read(parts: Uint8Array[]): { page: unknown; body: Buffer };
}

/**
 * A reader whose bodies share slabs (a slab lives as long as any body carved from it: a batch's pages
 * are encoded together, so they go together).
 */
export function createStorageBodyReader(): StorageBodyReader {
  let slab = Buffer.alloc(0);
  let used = 0;
  return {
    read(parts) {
      const bytes = joined(parts);
      const at = findStorageValue(bytes);
      if (!at) return { page: JSON.parse(utf8.decode(bytes)), body: Buffer.alloc(0) };
      const size = at.end - at.start; // the UTF-8 is never longer than its escaped form
      if (size > slab.length - used) {
        slab = Buffer.allocUnsafeSlow(Math.max(SLAB_BYTES, size));
        used = 0;
      }
      const body = slab.subarray(used, used + unescapeInto(bytes, at.start, at.end, slab.subarray(used)));
      used += body.length;
      const page = JSON.parse(withoutBody(bytes, at.start, at.end)) as unknown;
      // Bytes that are not UTF-8 (a broken server) go the way JSON.parse would take them: U+FFFD each.
      return { page, body: isUtf8(body) ? body : Buffer.from(utf8.decode(body)) };
    },
  };
}

/** What the rest of an element is joined in before it is decoded (its metadata: a few hundred bytes). */
const restScratch = Buffer.allocUnsafeSlow(64 * 1024);

/** The element's JSON text with the body's value emptied: one decode, not two strings and their concatenation. */
function withoutBody(bytes: Buffer, start: number, end: number): string {
  const size = start + bytes.length - end;
  if (size > restScratch.length)
    return utf8.decode(bytes.subarray(0, start)) + utf8.decode(bytes.subarray(end));
  bytes.copy(restScratch, 0, 0, start);
  bytes.copy(restScratch, start, end);
  return utf8.decode(restScratch.subarray(0, size));
}
