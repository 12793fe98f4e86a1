// A page's Elasticsearch document as UTF-8 JSON bytes, written once. The indexer reads a page's long
// texts (html, text, each section's text) as their UTF-8 bytes (lib/registry.ts) and copies them into
// the document escaped, so they never become whole JS strings: decoded, a page's texts are two bytes per
// character as soon as it holds one non-Latin-1 character, JSON.stringify made another copy as large,
// and for a page of megabytes both sat in V8's large-object space until a full collection. They are
// escaped 16 KiB at a time, as one-byte strings of that size that die young.
import type { HtmlPage, HtmlPageBytes } from '../schemas/index.ts';

type Text = string | Buffer;

const QUOTE = 0x22;
/**
 * Bytes escaped per step. JSON escapes only ASCII bytes (`"`, `\`, control bytes) and passes every other
 * byte through, so the UTF-8 bytes read as Latin-1 (one character per byte) and escaped by V8's
 * JSON.stringify are the escaped UTF-8 bytes: about twice as fast as a byte loop in JavaScript, and
 * in steps small enough that a page of megabytes never becomes one large string.
 */
const STEP = 16 * 1024;

/** Writes `text` escaped (without quotes) at `doc.at`, growing `doc.out` as escapes need. */
function writeEscaped(text: Buffer, doc: { out: Buffer; at: number }): void {
  for (let from = 0; from < text.length; from += STEP) {
    const escaped = JSON.stringify(text.toString('latin1', from, Math.min(from + STEP, text.length)));
    reserve(doc, escaped.length);
    doc.at += doc.out.write(escaped.slice(1, -1), doc.at, 'latin1');
  }
}

/** Room for `n` more bytes: escapes make a text longer than its bytes (by ~1% in prose, newlines). */
function reserve(doc: { out: Buffer; at: number }, n: number): void {
  if (doc.at + n <= doc.out.length) return;
  const bigger = Buffer.allocUnsafe(Math.max(doc.at + n, Math.ceil(doc.out.length * 1.25)));
  doc.out.copy(bigger, 0, 0, doc.at);
  doc.out = bigger;
}

/** A document as pieces: JSON text, or a string's UTF-8 bytes still to be escaped and quoted. */
type Piece = string | Buffer;

const textPieces = (text: Text): Piece[] => (typeof text === 'string' ? [JSON.stringify(text)] : [text]);

/** The document of `page` with `extra` fields (the run and source), as one Buffer of JSON. */
export function pageDocument(page: HtmlPage | HtmlPageBytes, extra: Record<string, string>): Buffer {
  const { html, text, sections, ...rest } = page;
  const head = JSON.stringify({ ...rest, ...extra });
  const pieces: Piece[] = [
    head.slice(0, -1),
    ',"html":',
    ...textPieces(html),
    ',"text":',
    ...textPieces(text),
  ];
  pieces.push(',"sections":[');
  sections.forEach((s, i) => {
    const open = `${i > 0 ? ',' : ''}{"anchor":${JSON.stringify(s.anchor)},"path":${JSON.stringify(s.path)},"text":`;
    pieces.push(open, ...textPieces(s.text), '}');
  });
  pieces.push(']}');
  // Unescaped size and a sixteenth for escapes: one allocation for most pages.
  const size = pieces.reduce((n, p) => n + (typeof p === 'string' ? Buffer.byteLength(p) : p.length + 2), 0);
  const doc = { out: Buffer.allocUnsafe(size + (size >> 4)), at: 0 };
  for (const p of pieces) {
    if (typeof p === 'string') {
      reserve(doc, Buffer.byteLength(p));
      doc.at += doc.out.write(p, doc.at);
      continue;
    }
    reserve(doc, 1);
    doc.out[doc.at++] = QUOTE;
    writeEscaped(p, doc);
    reserve(doc, 1);
    doc.out[doc.at++] = QUOTE;
  }
  return doc.out.subarray(0, doc.at);
}
