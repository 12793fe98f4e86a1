import { X509Certificate } from 'node:crypto';
import { Agent, request } from 'undici';
import { describe, expect, it } from 'vitest';
import { startSim } from '../../sim/index.ts';
import { basic } from './helpers.ts';

describe('--tls', () => {
  it('serves HTTPS with a self-signed certificate that clients can trust via the handle’s ca', async () => {
    const sim = await startSim({ pages: 20, tls: true });
    try {
      expect(sim.baseUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const cert = new X509Certificate(sim.ca!);
      expect(cert.subjectAltName).toContain('127.0.0.1');
      const trusted = new Agent({ connect: { ca: sim.ca! } });
      const res = await request(`${sim.baseUrl}/wiki/api/v2/spaces`, {
        dispatcher: trusted,
        headers: { authorization: basic(sim.email, sim.token) },
      });
      expect(res.statusCode).toBe(200);
      expect(((await res.body.json()) as { results: unknown[] }).results.length).toBeGreaterThan(0);
      await trusted.close();
      // Without trusting it, verification fails: the certificate really is self-signed.
      await expect(fetch(`${sim.baseUrl}/wiki/api/v2/spaces`)).rejects.toThrow();
    } finally {
      await sim.close();
    }
  });
});
