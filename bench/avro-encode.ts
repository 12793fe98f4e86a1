// Avro encoding of page events: the registry client's `encode` (avsc's toBuffer, then the frame copied
// in front) against the codecs' one-pass encoder (lib/registry.ts), CPU of this process, same bytes.
//   node bench/avro-encode.ts [--pages 3000] [--rounds 3]
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { parseArgs } from 'node:util';
import { servicesConfig } from '../lib/config.ts';
import { createCodecs } from '../lib/registry.ts';
import type { RawPageEvent } from '../schemas/index.ts';
import { generateBodies } from '../sim/index.ts';
import { rawPage } from '../test/transformer/service-helpers.ts';

const { values } = parseArgs({
  options: { pages: { type: 'string', default: '3000' }, rounds: { type: 'string', default: '3' } },
});
const cfg = servicesConfig({ ...process.env, TOPIC_RAW_PAGES: 'bench-avro-encode.raw' });
const codecs = await createCodecs(cfg);
const client = new SchemaRegistry({ host: cfg.schemaRegistryUrl });
const events: RawPageEvent[] = [...generateBodies(Number(values.pages))].map((g) => ({
  runId: '01JF0000000000000000000000',
  sourceId: 'bench',
  page: rawPage(g.pageId, g.body, undefined, { title: g.title }),
  marker: null,
  removal: null,
}));
const ways = {
  'registry client': (e: RawPageEvent) => client.encode(codecs.rawPages.schemaId, e),
  codec: (e: RawPageEvent) => codecs.rawPages.encode(e),
};
for (let round = 0; round < Number(values.rounds); round++) {
  for (const [name, encode] of Object.entries(ways)) {
    const before = process.cpuUsage();
    let bytes = 0;
    for (const e of events) bytes += (await encode(e)).length;
    const cpu = process.cpuUsage(before);
    console.log(
      `${name}: ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms CPU for ${events.length} events, ${(bytes / 1e6).toFixed(1)} MB`,
    );
  }
}
