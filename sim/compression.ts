// Compressed answers, as Confluence gives them: a JSON answer is gzip-compressed when the request's
// Accept-Encoding allows gzip (Cloud's edge answers `Content-Encoding: gzip` and `Vary: Accept-Encoding`;
// Data Center's gzip filter does the same), and plain otherwise. sim/README.md says where this is
// documented. Answers under MIN_BYTES stay plain even when asked, as gzip filters' minimum sizes do:
// a client must take both.
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';

/**
 * zlib's fastest level: on this machine ~160-370 MB of the simulator's JSON per CPU second against
 * ~90-130 at the default level 6 (sim/README.md). Real Confluence spends that CPU on its own servers; the
 * simulator shares its machine with the pipeline it serves, so it compresses cheaply (and sends a little
 * more than a level-6 server would: an honest upper bound on the bytes).
 */
export const GZIP_LEVEL = 1;
/** Smaller answers are sent plain (Jetty's gzip handler defaults to 2 KB, Envoy's compressor to 30 bytes). */
export const MIN_BYTES = 1024;

const gzipAsync = promisify(gzip);

/**
 * zlib's output chunk: by default 16 KB, so a 3 MB answer took ~60 trips between the thread pool and the
 * event loop; one chunk of about the compressed size makes it a few (the bytes are the same either way).
 */
const chunkSize = (jsonBytes: number) => Math.min(1 << 20, Math.max(16 * 1024, jsonBytes >> 1));

/**
 * Whether an Accept-Encoding value (RFC 9110, 12.5.3) accepts gzip: `gzip` or `x-gzip` or `*` with a
 * non-zero weight, unless gzip itself is listed with `q=0`.
 */
export function acceptsGzip(header: string | string[] | undefined): boolean {
  if (header === undefined) return false;
  const weights = new Map<string, number>();
  for (const part of (Array.isArray(header) ? header.join(',') : header).split(',')) {
    const [name, ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    if (!name) continue;
    const q = params.find((p) => p.startsWith('q='));
    weights.set(name === 'x-gzip' ? 'gzip' : name, q === undefined ? 1 : Number(q.slice(2)) || 0);
  }
  return (weights.get('gzip') ?? weights.get('*') ?? 0) > 0;
}

/** A JSON answer's bytes as sent, and the headers that say how. */
export async function encodeAnswer(
  json: Buffer,
  acceptEncoding: string | string[] | undefined,
): Promise<{ bytes: Buffer; headers: Record<string, string> }> {
  // Vary on every answer that could have been compressed: a cache must not hand gzip to a client that never asked.
  if (json.length < MIN_BYTES || !acceptsGzip(acceptEncoding))
    return { bytes: json, headers: { Vary: 'Accept-Encoding' } };
  return {
    bytes: await gzipAsync(json, { level: GZIP_LEVEL, chunkSize: chunkSize(json.length) }),
    headers: { 'Content-Encoding': 'gzip', Vary: 'Accept-Encoding' },
  };
}
