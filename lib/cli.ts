// CLI plumbing every command shares: one way to turn an error into a message, a hint and an exit code,
// with secrets scrubbed from whatever is printed (crash output included).
import { ExitCode, UserError } from './errors.ts';
import { scrub } from './secrets.ts';

function report(err: unknown): ExitCode {
  if (err instanceof UserError) {
    process.stderr.write(scrub(`error: ${err.message}\n${err.hint ? `hint: ${err.hint}\n` : ''}`));
    return err.exitCode;
  }
  const text = err instanceof Error ? (err.stack ?? err.message) : String(err);
  process.stderr.write(scrub(`error: ${text}\n`));
  return ExitCode.failure;
}

/** Wraps a command's action: errors become a message, a hint and the right exit code. */
export function action<A extends unknown[]>(
  fn: (...args: A) => Promise<void> | void,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (err) {
      process.exitCode = report(err);
    }
  };
}

/** Last-resort handlers so even a crash never prints a secret. */
export function installCrashHandlers(): void {
  const crash = (err: unknown) => {
    process.exitCode = report(err);
    process.exit();
  };
  process.on('uncaughtException', crash);
  process.on('unhandledRejection', crash);
}

/** True when a person is watching: progress bars then, periodic log lines otherwise. */
export function interactive(): boolean {
  return Boolean(process.stderr.isTTY) && process.env.CI !== 'true';
}
