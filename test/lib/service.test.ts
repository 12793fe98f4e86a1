// The probes every long-running service serves: /livez for "restart me", /readyz for "send me work".
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../lib/log.ts';
import { serviceListen, startService, type ServiceHandle } from '../../lib/service.ts';

let service: ServiceHandle | undefined;
afterEach(async () => {
  await service?.close();
  service = undefined;
});

const get = async (path: string) => {
  const res = await fetch(`http://127.0.0.1:${service!.port}${path}`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

describe('service probes', () => {
  it('/readyz follows its dependency checks; /livez stays 200 while a dependency is away', async () => {
    service = await startService('probe-test', createLogger('probe-test'), 0, { host: '127.0.0.1' });
    let up = true;
    service.readyWhen('elasticsearch', async () => {
      if (!up) throw new Error('connect ECONNREFUSED 127.0.0.1:9');
    });
    expect(await get('/readyz')).toEqual({
      status: 200,
      body: { status: 'ready', service: 'probe-test', checks: { elasticsearch: 'ok' } },
    });
    up = false;
    const down = await get('/readyz');
    expect(down.status).toBe(503);
    expect(down.body.checks).toEqual({ elasticsearch: 'unavailable: connect ECONNREFUSED 127.0.0.1:9' });
    expect((await get('/livez')).status).toBe(200);
    expect((await get('/healthz')).status).toBe(503);
    up = true;
    expect((await get('/readyz')).status).toBe(200);
  });

  it('a check that hangs answers 503 within its timeout; setReady and setLive say why', async () => {
    service = await startService('probe-test', createLogger('probe-test'), 0, { host: '127.0.0.1' });
    service.readyWhen('kafka', () => new Promise(() => {}));
    const hung = await get('/readyz');
    expect(hung.status).toBe(503);
    expect(hung.body.checks).toEqual({ kafka: 'unavailable: no answer within 2000 ms' });

    service.readyWhen('kafka', async () => {});
    service.setReady(false, 'elasticsearch unavailable: timeout');
    expect(await get('/readyz')).toMatchObject({
      status: 503,
      body: { reason: 'elasticsearch unavailable: timeout' },
    });
    service.setReady(true);
    service.setLive(false, 'consumer crashed: boom');
    expect(await get('/livez')).toMatchObject({
      status: 503,
      body: { status: 'dead', reason: 'consumer crashed: boom' },
    });
    expect((await get('/readyz')).status).toBe(503);
  });

  it('METRICS_HOST and METRICS_PORT are validated', () => {
    expect(serviceListen({ METRICS_HOST: '0.0.0.0', METRICS_PORT: '9464' })).toEqual({
      host: '0.0.0.0',
      port: 9464,
    });
    expect(serviceListen({})).toEqual({ host: '127.0.0.1', port: 0 });
    expect(() => serviceListen({ METRICS_PORT: 'http' })).toThrow(
      /METRICS_PORT="http": must be a whole number/,
    );
    expect(() => serviceListen({ METRICS_HOST: 'http://0.0.0.0' })).toThrow(
      /METRICS_HOST.*host name or IP address/,
    );
  });
});
