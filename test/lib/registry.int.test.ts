// The codecs' own wire-format encoder (lib/registry.ts): the bytes the registry client would write, any
// size, a body held as bytes written as the same record, nothing shared between results, and a value
// that is not the topic's named by its field.
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { describe, expect, it } from 'vitest';
import { createCodecs } from '../../lib/registry.ts';
import type { HtmlPageEvent, RawPageEvent } from '../../schemas/index.ts';
import { htmlPage, RAW_PAGE_DEFAULTS } from '../page-defaults.ts';
import { isolatedConfig } from '../stack/services.ts';

const cfg = isolatedConfig('registry-codec');

const event = (id: string, body: string): RawPageEvent => ({
  runId: '01JF0000000000000000000000',
  sourceId: 'acme',
  page: {
    id,
    title: `Ünïcode page ${id}`,
    status: 'current',
    version: 3,
    versionCreatedAt: null,
    parentId: null,
    space: { id: '7', key: 'ENG', name: 'Engineering', type: 'global', status: 'current' },
    body,
    url: `https://acme.atlassian.net/wiki/spaces/ENG/pages/${id}`,
    fetchedAt: 1_700_000_000_000,
    ...RAW_PAGE_DEFAULTS,
  },
  marker: null,
  removal: null,
  facts: null,
});

describe('codec encoding', () => {
  it('writes what the registry client writes, for small and large values, and decodes them back', async () => {
    const codecs = await createCodecs(cfg);
    const client = new SchemaRegistry({ host: cfg.schemaRegistryUrl });
    const small = event('1', '<p>héllo</p>');
    const large = event('2', `<p>${'ß long text '.repeat(60_000)}</p>`); // ~780 KB: past the scratch buffer
    for (const value of [small, large]) {
      const bytes = await codecs.rawPages.encode(value);
      expect(bytes.equals(await client.encode(codecs.rawPages.schemaId, value))).toBe(true);
      expect(await codecs.rawPages.decode(bytes)).toEqual(value);
    }
  });

  it('writes a page whose body is its UTF-8 bytes as the same record (the producer never decodes bodies)', async () => {
    const codecs = await createCodecs(cfg);
    for (const body of ['', '<p>héllo \u{1F600}</p>', `<p>${'ß long text '.repeat(60_000)}</p>`]) {
      const value = event('1', body);
      const bytes = {
        ...value,
        page: { ...value.page!, body: Buffer.from(body) },
        marker: null,
        removal: null,
        facts: null,
      };
      for (const codec of [codecs.rawPages, codecs.latestPages])
        expect((await codec.encode(bytes)).equals(await codec.encode(value))).toBe(true);
    }
  });

  it('reads a page’s html, text and section texts as their UTF-8 bytes for the indexer, the rest as decode does', async () => {
    const codecs = await createCodecs(cfg);
    const text = `Zürich – 東京 🚀 "quoted" ${'ß long text '.repeat(30_000)}`;
    const value: HtmlPageEvent = {
      runId: '01JF0000000000000000000000',
      sourceId: 'acme',
      page: htmlPage('1', text, {
        title: 'Ünïcode',
        sections: [{ anchor: 'h', path: ['Heading'], text: 'under the heading' }],
      }),
      failure: null,
      marker: null,
      removal: null,
      facts: null,
    };
    const framed = await codecs.htmlPages.encode(value);
    const read = await codecs.htmlPages.decodeTexts(framed);
    const { html, text: bytes, sections, ...rest } = read.page!;
    expect([html, bytes, sections[0]!.text].every(Buffer.isBuffer)).toBe(true);
    expect(html.toString()).toBe(value.page!.html);
    expect(bytes.toString()).toBe(text);
    expect(sections.map((s) => ({ ...s, text: s.text.toString() }))).toEqual(value.page!.sections);
    expect({ ...value.page, ...rest }).toEqual(value.page);
    expect({ ...read, page: null }).toEqual({ ...value, page: null });
    await expect(codecs.htmlPages.decodeTexts(Buffer.from('garbage'))).rejects.toThrow(/wire format/);
  });

  it('gives each value its own buffer', async () => {
    const codecs = await createCodecs(cfg);
    const first = await codecs.rawPages.encode(event('1', '<p>first</p>'));
    const copy = Buffer.from(first);
    await codecs.rawPages.encode(event('2', '<p>second, longer than the first</p>'));
    expect(first.equals(copy)).toBe(true);
  });

  it('names the field of a value that is not the topic’s', async () => {
    const codecs = await createCodecs(cfg);
    const bad = {
      ...event('1', ''),
      page: { ...event('1', '').page!, title: 42 },
    } as unknown as RawPageEvent;
    await expect(codecs.rawPages.encode(bad)).rejects.toThrow(/not a valid .* value \(.*title/);
  });
});
