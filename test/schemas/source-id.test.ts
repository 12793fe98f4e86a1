// One rule for a source's id, whoever defines the source: the producer's SOURCE_ID default and a new
// source of the sources service agree for every deployment.
import { describe, expect, it } from 'vitest';
import { producerConfig } from '../../producer/config.ts';
import { defaultSourceId, sourceIdOf } from '../../schemas/source-id.ts';
import { idOf } from '../../sources/record.ts';

describe('source ids', () => {
  it('are lowercase [a-z0-9-] from the host (and port)', () => {
    expect(sourceIdOf('Acme.Atlassian.net')).toBe('acme-atlassian-net');
    expect(sourceIdOf('[::1]:4100')).toBe('1-4100');
  });

  it('keep a Data Center context path, never use the gateway', () => {
    expect(defaultSourceId('data-center', undefined, 'https://wiki.example.com/confluence')).toBe(
      'wiki-example-com-confluence',
    );
    expect(defaultSourceId('cloud-scoped', 'acme.atlassian.net', 'https://acme.atlassian.net')).toBe(
      'acme-atlassian-net',
    );
  });

  it('the producer and the sources service derive the same id for the same site', () => {
    const dc = producerConfig({
      CONFLUENCE_DEPLOYMENT: 'data-center',
      CONFLUENCE_BASE_URL: 'https://wiki.example.com/confluence',
      CONFLUENCE_API_TOKEN: 'a-personal-access-token-long-enough',
    });
    expect(
      idOf({ baseUrl: 'https://wiki.example.com/confluence', deployment: { kind: 'data-center' } }),
    ).toBe(dc.sourceId);
    const cloud = producerConfig({
      CONFLUENCE_DOMAIN: 'acme.atlassian.net',
      CONFLUENCE_EMAIL: 'me@acme.com',
      CONFLUENCE_API_TOKEN: 'ATATT-a-long-enough-token',
    });
    expect(idOf({ domain: 'acme.atlassian.net' })).toBe(cloud.sourceId);
  });
});
