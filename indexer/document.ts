// A page's Elasticsearch document as UTF-8 JSON bytes, written once. The indexer reads a page's long
// texts (html, text, each section's text) as their UTF-8 bytes (lib/registry.ts) and copies them into
// the document escaped, so they never become JS strings: decoded, a page's texts are two bytes per
// character as soon as it holds one non-Latin-1 character, JSON.stringify made another copy as large,
// and for a page of megabytes both sat in V8's large-object space until a full collection.
import type { HtmlPage, HtmlPageBytes } from '../schemas/index.ts';

type Text = string | Buffer;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const HEX = '0123456789abcdef';
/** JSON's two-character escapes; any other byte below 0x20 becomes \u00XX. */
const SHORT: Record<number, number> = { 0x08: 0x62, 0x09: 0x74, 0x0a: 0x6e, 0x0c: 0x66, 0x0d: 0x72 };

/** Bytes `text` takes inside a JSON string: UTF-8 passes through, `"`, `\` and control bytes are escaped. */
function escapedLength(text: Buffer): number {
  let n = text.length;
  for (let i = 0; i < text.length; i++) {
    const b = text[i]!;
    if (b === QUOTE || b === BACKSLASH) n += 1;
    else if (b < 0x20) n += SHORT[b] === undefined ? 5 : 1;
  }
  return n;
}

function writeEscaped(text: Buffer, out: Buffer, at: number): number {
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const b = text[i]!;
    if (b !== QUOTE && b !== BACKSLASH && b >= 0x20) continue;
    at += text.copy(out, at, from, i);
    from = i + 1;
    out[at++] = BACKSLASH;
    if (b === QUOTE || b === BACKSLASH) out[at++] = b;
    else if (SHORT[b] !== undefined) out[at++] = SHORT[b];
    else at += out.write(`u00${HEX[b >> 4]}${HEX[b & 15]}`, at, 'latin1');
  }
  return at + text.copy(out, at, from);
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
  const size = pieces.reduce(
    (n, p) => n + (typeof p === 'string' ? Buffer.byteLength(p) : escapedLength(p) + 2),
    0,
  );
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (const p of pieces) {
    if (typeof p === 'string') {
      at += out.write(p, at);
      continue;
    }
    out[at++] = QUOTE;
    at = writeEscaped(p, out, at);
    out[at++] = QUOTE;
  }
  return out;
}
