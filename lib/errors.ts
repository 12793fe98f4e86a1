// Errors a person can act on: what happened, and what to do. The CLI prints `message` and `hint`
// and exits with `exitCode`, so scripts can tell a config mistake from an auth or network failure.

export const ExitCode = {
  ok: 0,
  failure: 1,
  config: 2,
  auth: 3,
  network: 4,
  runFailed: 5,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export class UserError extends Error {
  readonly exitCode: ExitCode;
  readonly hint: string | undefined;
  constructor(message: string, opts: { exitCode?: ExitCode; hint?: string; cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
    this.name = 'UserError';
    this.exitCode = opts.exitCode ?? ExitCode.failure;
    this.hint = opts.hint;
  }
}

export class ConfigError extends UserError {
  constructor(message: string, hint?: string) {
    super(message, { exitCode: ExitCode.config, ...(hint ? { hint } : {}) });
    this.name = 'ConfigError';
  }
}
