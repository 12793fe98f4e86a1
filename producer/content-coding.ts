// Compressed answers from Confluence. Every request asks for gzip (Cloud's edge and Data Center's gzip
// filter answer JSON with `Content-Encoding: gzip`; sim/README.md says where that is documented), and
// every answer is read through `decodedBody`: inflated as it streams in when it is gzip, passed on as it
// is otherwise (small answers, a server with compression off), so the listing splitter still sees the
// JSON chunk by chunk. undici's request API does not inflate, and its decompress interceptor is
// experimental (a process warning on first use) and hides the bytes on the wire, which are what a run
// is charged; node:zlib's streaming gunzip does the work here.
import { pipeline, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

/** What the client's requests carry. */
export const ACCEPT_ENCODING = 'gzip';

/**
 * The inflated chunks' size. zlib's default, 16 KB, made inflating a 250-page listing cost twice as
 * much CPU (each chunk crosses the stream, the async iteration and the listing splitter); at 256 KB a
 * listing is ~10 chunks, and its chunks are held no longer than its elements were anyway (bench/README.md).
 */
const INFLATED_CHUNK_BYTES = 256 * 1024;

/** An answer in a content coding the client never asked for (a proxy in between, most likely). */
export class UnsupportedCodingError extends Error {
  readonly coding: string;
  constructor(coding: string) {
    super(`the answer is encoded as ${coding}, which the producer does not ask for (it asks for gzip)`);
    this.name = 'UnsupportedCodingError';
    this.coding = coding;
  }
}

/**
 * The body's JSON bytes, chunk by chunk: inflated when `Content-Encoding` is gzip, as received when
 * there is none. `onWire` is told each received chunk's size, before inflating.
 */
export function decodedBody(
  body: Readable,
  contentEncoding: string | undefined,
  onWire: (bytes: number) => void,
): AsyncIterable<Buffer> {
  const coding = (contentEncoding ?? '').trim().toLowerCase();
  async function* counted(source: AsyncIterable<Buffer>) {
    for await (const chunk of source) {
      onWire(chunk.length);
      yield chunk;
    }
  }
  if (coding === '' || coding === 'identity') return counted(body);
  if (coding !== 'gzip' && coding !== 'x-gzip') {
    body.destroy();
    throw new UnsupportedCodingError(coding);
  }
  // An error anywhere (the connection, or zlib on a cut or corrupt stream) ends the iteration with it.
  return pipeline(body, counted, createGunzip({ chunkSize: INFLATED_CHUNK_BYTES }), () => {});
}

/** Whether an error is zlib's own: a gzip stream that was cut short (Z_BUF_ERROR) or is corrupt (Z_DATA_ERROR). */
export function isInflateError(err: unknown): err is Error {
  const code = (err as { code?: unknown } | null)?.code;
  return err instanceof Error && typeof code === 'string' && code.startsWith('Z_');
}
