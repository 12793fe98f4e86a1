// The simulator compresses as Confluence does: gzip when the request accepts it, plain when not (or when
// the answer is small, or compression is off), and its traffic counts the bytes on the wire.
import { gunzipSync } from 'node:zlib';
import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { acceptsGzip, MIN_BYTES } from '../../sim/compression.ts';
import { basic, useSim } from './helpers.ts';

describe('Accept-Encoding', () => {
  it.each([
    ['gzip', true],
    ['x-gzip', true],
    ['gzip, deflate, br', true],
    ['br;q=1.0, gzip;q=0.5', true],
    ['*', true],
    ['GZIP', true],
    ['gzip;q=0', false],
    ['*;q=0.1, gzip;q=0', false],
    ['br, deflate', false],
    ['identity', false],
    ['', false],
  ])('%j accepts gzip: %s', (header, accepted) => expect(acceptsGzip(header)).toBe(accepted));

  it('takes no header as no compression', () => expect(acceptsGzip(undefined)).toBe(false));
});

describe('compressed answers', () => {
  const ctx = useSim({ pages: 300 });
  const listing = '/wiki/api/v2/pages?limit=50&status=current&body-format=storage';

  /** Raw bytes and headers: undici's request API inflates nothing. */
  async function raw(path: string, acceptEncoding?: string) {
    const { sim } = ctx;
    const res = await request(sim.baseUrl + path, {
      headers: {
        authorization: basic(sim.email, sim.token),
        ...(acceptEncoding ? { 'accept-encoding': acceptEncoding } : {}),
      },
    });
    return { status: res.statusCode, headers: res.headers, bytes: Buffer.from(await res.body.arrayBuffer()) };
  }

  it('gzips a JSON answer for a client that accepts it, with the same JSON inside', async () => {
    const plain = await raw(listing);
    const zipped = await raw(listing, 'gzip, deflate');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(zipped.headers.vary).toBe('Accept-Encoding');
    expect(Number(zipped.headers['content-length'])).toBe(zipped.bytes.length);
    expect(zipped.bytes.length).toBeLessThan(plain.bytes.length / 3);
    expect(gunzipSync(zipped.bytes).equals(plain.bytes)).toBe(true);
    expect(JSON.parse(plain.bytes.toString('utf8'))).toHaveProperty('results');
  });

  it('answers plain to a client that refuses gzip or asks only for what it does not send', async () => {
    for (const accept of ['gzip;q=0', 'br'])
      expect((await raw(listing, accept)).headers['content-encoding']).toBeUndefined();
  });

  it('sends small answers plain even when asked', async () => {
    const small = await raw('/wiki/api/v2/spaces?limit=1', 'gzip');
    expect(small.bytes.length).toBeLessThan(MIN_BYTES);
    expect(small.headers['content-encoding']).toBeUndefined();
    expect(JSON.parse(small.bytes.toString('utf8'))).toHaveProperty('results');
  });

  it('answers plain when compression is off (a Data Center setting)', async () => {
    ctx.sim.admin.configure({ gzip: false });
    try {
      const r = await raw(listing, 'gzip');
      expect(r.headers['content-encoding']).toBeUndefined();
      expect(JSON.parse(r.bytes.toString('utf8'))).toHaveProperty('results');
    } finally {
      ctx.sim.admin.configure({ gzip: true });
    }
  });

  it('counts the bytes on the wire, and the JSON before compression', async () => {
    const { traffic } = ctx.sim.admin;
    traffic.reset();
    const plain = await raw(listing);
    expect(traffic.total).toMatchObject({ bytes: plain.bytes.length, jsonBytes: plain.bytes.length });
    traffic.reset();
    const zipped = await raw(listing, 'gzip');
    expect(traffic.total).toMatchObject({ bytes: zipped.bytes.length, jsonBytes: plain.bytes.length });
  });

  it('damages a compressed body with the corrupt fault, so that it fails its check', async () => {
    ctx.sim.admin.addFault({ kind: 'corrupt', path: '/wiki/api/v2/pages', count: 1 });
    const r = await raw(listing, 'gzip');
    expect(r.status).toBe(200);
    expect(r.headers['content-encoding']).toBe('gzip');
    expect(() => gunzipSync(r.bytes)).toThrow(expect.objectContaining({ code: 'Z_DATA_ERROR' }));
  });
});
