// An answer's JSON bytes and what it carries (results, page bodies, their UTF-8 bytes), in one walk.
// Page bodies are nearly all of what a sync pulls (a 250-page batch is ~3 MB of JSON), and serving them
// was most of the simulator's CPU, which it takes from the pipeline it measures on the same machine:
// JSON.stringify escaped each body into a new UTF-16 string, Buffer.from encoded that, and the cost model
// and the traffic count each measured every body again. Here the answer is stringified with a placeholder
// for each body and each part already written as JSON (rendered.ts), and those are written into its bytes
// in their places: a generated body from its pieces, encoded and escaped once (pieces.ts), any other body
// encoded to UTF-8 and escaped in place; the byte counts come out of the same pass. The bytes are exactly
// those of JSON.stringify, UTF-8 encoded (test/sim/answer.test.ts).
import { randomUUID } from 'node:crypto';
import { Piece, textOf, type MadeOfParts, type Part } from './pieces.ts';

/** What an answer carries, for the cost model (cost.ts) and the traffic count (traffic.ts). */
export interface AnswerContent {
  /** The length of `results`, or 1 for a single object. */
  results: number;
  /** Page bodies (storage or ADF). */
  bodies: number;
  /** Their UTF-8 bytes. */
  bodyBytes: number;
}

/**
 * Stands for a body or a written part while the rest of the answer is stringified: a string no answer holds otherwise
 * (a NUL-delimited random UUID of this process), appearing in the JSON text as `"\u0000…\u0000"`.
 */
const MARK = `\u0000${randomUUID()}\u0000`;
const QUOTED_MARK = JSON.stringify(MARK);

/** The bodies and written parts of the answer being stringified, in the order JSON.stringify meets them. */
let collecting: (PageBody | WrittenJson)[] | undefined;

/** A page body (storage or ADF) in a route's answer: `value: new PageBody(text or generator)`. */
export class PageBody {
  readonly source: string | MadeOfParts;

  constructor(source: string | MadeOfParts) {
    this.source = source;
  }

  get text(): string {
    return typeof this.source === 'string' ? this.source : textOf(this.source);
  }

  /** Outside answerJson (a test stringifying a route's answer) it is just its text. */
  toJSON(): string {
    if (collecting === undefined) return this.text;
    collecting.push(this);
    return MARK;
  }
}

/** A part of an answer already written as JSON (rendered.ts keeps them): spliced in as it is. */
export class WrittenJson {
  readonly bytes: Buffer;

  constructor(bytes: Buffer) {
    this.bytes = bytes;
  }

  /** Outside answerJson it is the value it was written from. */
  toJSON(): unknown {
    if (collecting === undefined) return JSON.parse(this.bytes.toString());
    collecting.push(this);
    return MARK;
  }
}

const encoder = new TextEncoder();
/** Where answers are written: reused, grown to the largest answer, then copied out at its exact size. */
let arena = Buffer.allocUnsafeSlow(1 << 20);
/** Offsets of the bytes of a body that JSON must escape. */
let specials = new Int32Array(1 << 12);

/** Room for `need` bytes at `at`, keeping the `at` bytes written so far. */
function reserve(at: number, need: number): void {
  if (at + need <= arena.length) return;
  const grown = Buffer.allocUnsafeSlow(Math.max(arena.length * 2, at + need));
  arena.copy(grown, 0, 0, at);
  arena = grown;
}

/** Writes a well-formed string's UTF-8 at `at`; returns the bytes written. */
function writeUtf8(s: string, at: number): number {
  reserve(at, s.length * 3);
  return encoder.encodeInto(s, arena.subarray(at)).written;
}

// Per byte: 0 = as is; 1 = a backslash and SHORT's letter; 5 = \u00XX (the other control characters).
const EXTRA = new Uint8Array(256);
const SHORT = new Uint8Array(256);
for (let c = 0; c < 0x20; c++) EXTRA[c] = 5;
for (const [c, letter] of [
  [0x08, 'b'],
  [0x09, 't'],
  [0x0a, 'n'],
  [0x0c, 'f'],
  [0x0d, 'r'],
  [0x22, '"'],
  [0x5c, '\\'],
] as const) {
  EXTRA[c] = 1;
  SHORT[c] = letter.charCodeAt(0);
}
const HEX = Buffer.from('0123456789abcdef');

/** What findSpecials found: how many bytes to escape (their offsets in `specials`), and the bytes that adds. */
let found = 0;
let added = 0;

function note(bytes: Buffer, i: number): void {
  const e = EXTRA[bytes[i]!]!;
  if (e === 0) return;
  specials[found++] = i;
  added += e;
}

/**
 * Finds the bytes in arena[from, to) that JSON escapes (control characters, `"`, `\`), four at a time: a
 * word with none of them is passed over with a few integer operations (the "has less than" and "has zero
 * byte" tests of Bit Twiddling Hacks, which never miss one and rarely flag a clean word).
 */
function findSpecials(from: number, to: number): void {
  if (specials.length < to - from) specials = new Int32Array(Math.max(specials.length * 2, to - from));
  found = 0;
  added = 0;
  const bytes = arena;
  const head = Math.min(to, from + ((4 - ((bytes.byteOffset + from) & 3)) & 3));
  let i = from;
  for (; i < head; i++) note(bytes, i);
  if (head === to) return; // fewer bytes than reach the next word boundary: all seen
  const words = new Uint32Array(bytes.buffer, bytes.byteOffset + head, (to - head) >> 2);
  for (let w = 0; w < words.length; w++, i += 4) {
    const v = words[w]!;
    const quote = v ^ 0x22222222;
    const backslash = v ^ 0x5c5c5c5c;
    const flagged =
      ((v - 0x20202020) & ~v) | ((quote - 0x01010101) & ~quote) | ((backslash - 0x01010101) & ~backslash);
    if ((flagged & 0x80808080) === 0) continue;
    note(bytes, i);
    note(bytes, i + 1);
    note(bytes, i + 2);
    note(bytes, i + 3);
  }
  for (; i < to; i++) note(bytes, i);
}

/** Where emitPart writes a generated body, and the UTF-8 bytes of its text so far. */
let cursor = 0;
let textBytes = 0;
// eslint-disable-next-line no-control-regex -- the characters JSON escapes
const NEEDS_ESCAPE = /["\\\u0000-\u001f]/;

/** Writes a part of a generated body at `cursor`, escaped; returns its UTF-16 length. */
function emitPart(part: Part): number {
  if (part instanceof Piece) {
    reserve(cursor, part.json.length);
    arena.set(part.json, cursor);
    cursor += part.json.length;
    textBytes += part.bytes;
    return part.text.length;
  }
  if (typeof part === 'number') return emitString(String(part));
  if (typeof part === 'string') return emitString(part);
  let units = 0;
  for (const p of part) units += emitPart(p);
  return units;
}

/** A string made at generation time (a title, an id): encoded and escaped as it comes. */
function emitString(s: string): number {
  if (NEEDS_ESCAPE.test(s) || !s.isWellFormed()) {
    cursor += writeUtf8(JSON.stringify(s).slice(1, -1), cursor);
    textBytes += Buffer.byteLength(s);
  } else {
    const n = writeUtf8(s, cursor);
    cursor += n;
    textBytes += n;
  }
  return s.length;
}

/** Writes a generated body as a JSON string at `at`, counting it in `content`; returns the offset after it. */
function writeGenerated(source: MadeOfParts, at: number, content: AnswerContent): number {
  reserve(at, 1);
  arena[at] = 0x22;
  cursor = at + 1;
  textBytes = 0;
  source(emitPart);
  content.bodyBytes += textBytes;
  reserve(cursor, 1);
  arena[cursor] = 0x22;
  return cursor + 1;
}

/** Writes a body's text as a JSON string at `at`, counting it in `content`; returns the offset after it. */
function writeText(text: string, at: number, content: AnswerContent): number {
  // JSON.stringify escapes a lone surrogate (\udXXX), which UTF-8 cannot carry: the plain way for those.
  if (!text.isWellFormed()) {
    content.bodyBytes += Buffer.byteLength(text);
    return at + writeUtf8(JSON.stringify(text), at);
  }
  reserve(at, text.length * 3 + 2); // UTF-8 takes at most 3 bytes per UTF-16 unit; and the quotes
  arena[at++] = 0x22;
  const start = at;
  const n = encoder.encodeInto(text, arena.subarray(start)).written;
  content.bodyBytes += n;
  findSpecials(start, start + n);
  const extra = added;
  reserve(start + n, extra + 1);
  // Escape in place from the end: each run after a special moves once to where it ends up.
  let end = start + n;
  let w = end + extra;
  for (let k = found - 1; k >= 0; k--) {
    const p = specials[k]!;
    const c = arena[p]!;
    w -= end - p - 1;
    arena.copyWithin(w, p + 1, end);
    if (EXTRA[c] === 1) {
      arena[--w] = SHORT[c]!;
      arena[--w] = 0x5c;
    } else {
      w -= 6;
      arena[w] = 0x5c;
      arena[w + 1] = 0x75; // u
      arena[w + 2] = 0x30;
      arena[w + 3] = 0x30;
      arena[w + 4] = HEX[c >> 4]!;
      arena[w + 5] = HEX[c & 15]!;
    }
    end = p;
  }
  at = start + n + extra;
  arena[at++] = 0x22;
  return at;
}

/** A route's answer as JSON bytes (what JSON.stringify and UTF-8 would give) and what it carries. */
export function answerJson(body: unknown): { json: Buffer; content: AnswerContent } {
  const parts: (PageBody | WrittenJson)[] = [];
  collecting = parts;
  let text: string;
  try {
    text = JSON.stringify(body);
  } finally {
    collecting = undefined;
  }
  const results = (body as { results?: unknown } | null)?.results;
  const content = {
    results: Array.isArray(results) ? results.length : 1,
    bodies: 0,
    bodyBytes: 0,
  };
  let at = 0;
  let from = 0;
  for (const part of parts) {
    const mark = text.indexOf(QUOTED_MARK, from);
    at += writeUtf8(text.slice(from, mark), at);
    from = mark + QUOTED_MARK.length;
    if (part instanceof WrittenJson) {
      reserve(at, part.bytes.length);
      at += part.bytes.copy(arena, at);
      continue;
    }
    content.bodies++;
    at =
      typeof part.source === 'string'
        ? writeText(part.source, at, content)
        : writeGenerated(part.source, at, content);
  }
  at += writeUtf8(text.slice(from), at);
  const json = Buffer.allocUnsafe(at);
  arena.copy(json, 0, 0, at);
  return { json, content };
}
