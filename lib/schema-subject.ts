// Registering a topic's schema under its subject, safe when several processes start at once on a fresh
// registry. The client's own register() reads the subject's compatibility, registers, then sets the
// compatibility on a first registration: two processes racing through those three calls fail with
// "Compatibility does not match the configuration (BACKWARD != NONE)" (one reads the subject between
// the other's register and its config call) or "A rule named 'COMPATIBILITY' already exists" (both
// set it). Here registering is idempotent (same schema, same id) and setting the rule treats "already
// exists" as done, so any start order ends with the schema registered and the subject BACKWARD.
import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';

/** The client's REST calls (its `api`, which register() itself uses; not in its typings). */
interface SubjectApi {
  register(args: { subject: string; body: { schema: string } }): Promise<{ data(): { id: number } }>;
  config(args: { subject: string }): Promise<{ data(): { compatibilityLevel?: string } }>;
  updateConfig(args: { subject: string; body: { compatibility: string } }): Promise<unknown>;
}

const COMPATIBILITY = 'BACKWARD';
const ATTEMPTS = 8;

const statusOf = (err: unknown) => (err as { status?: number }).status;
const alreadyExists = (err: unknown) => statusOf(err) === 409 || /already exists/i.test(String(err));

/** Registers `schema` under `subject` (or finds it registered) and returns its id. */
export async function registerSubject(
  registry: SchemaRegistry,
  subject: string,
  schema: string,
): Promise<number> {
  const api = (registry as unknown as { api: { Subject: SubjectApi } }).api.Subject;
  for (let attempt = 1; ; attempt++) {
    try {
      const { id } = (await api.register({ subject, body: { schema } })).data();
      await ensureCompatibility(api, subject);
      return id;
    } catch (err) {
      // A concurrent first registration of the subject: the other process's answer is ours too.
      if (attempt >= ATTEMPTS || !alreadyExists(err)) throw err;
      await new Promise((r) => setTimeout(r, 50 * 2 ** attempt * Math.random()));
    }
  }
}

/** Sets BACKWARD on a subject that has no rule of its own; an operator's other choice stands. */
async function ensureCompatibility(api: SubjectApi, subject: string): Promise<void> {
  let level: string | null = null;
  try {
    level = (await api.config({ subject })).data().compatibilityLevel?.toUpperCase() ?? null;
  } catch (err) {
    if (statusOf(err) !== 404) throw err;
  }
  if (level && level !== 'NONE') return;
  try {
    await api.updateConfig({ subject, body: { compatibility: COMPATIBILITY } });
  } catch (err) {
    if (!alreadyExists(err)) throw err; // another process set it just now
  }
}
