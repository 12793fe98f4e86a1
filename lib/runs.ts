// Reading the runs topic (compacted: the latest record per run) and locating a run's records in the
// pages topics. Replay and page tracing both start here.
import type { Kafka } from './kafka.ts';
import type { Codecs } from './registry.ts';
import { isNewerRun } from './run-id.ts';
import { scanTopic } from './topic-scan.ts';
import type { Run } from '../schemas/index.ts';

/** Every run the runs topic still holds, latest record of each. */
export async function readRuns(kafka: Kafka, codecs: Codecs): Promise<Map<string, Run>> {
  const runs = new Map<string, Run>();
  await scanTopic(kafka, codecs.runs, async (records) => {
    for (const r of records) runs.set(r.value.runId, r.value);
    return false;
  });
  return runs;
}

/** The newest run of a source (run ids sort by time), if the runs topic holds one. */
export function newestRunOf(runs: Map<string, Run>, sourceId: string): Run | undefined {
  let newest: Run | undefined;
  for (const run of runs.values())
    if (run.sourceId === sourceId && (!newest || isNewerRun(run.runId, newest.runId))) newest = run;
  return newest;
}

/** Where a run's records start on each partition of `topic`. */
export async function runStartOffsets(kafka: Kafka, run: Run, topic: string): Promise<Map<number, string>> {
  if (run.topic === topic) return new Map(run.offsets.map((s) => [s.partition, s.start]));
  // Another topic (the HTML topic of a pull, the dead-letter topic, the raw topic of an HTML replay):
  // a run's records there are all written after the run started.
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsetsByTimestamp(topic, run.startedAt);
    return new Map(offsets.map((o) => [o.partition, o.offset]));
  } finally {
    await admin.disconnect();
  }
}
