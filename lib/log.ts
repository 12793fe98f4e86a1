// Structured JSON logs (pino): one event per line on stderr, secrets scrubbed from every line.
// pino is the fastest mainstream Node logger and its child loggers carry run and source ids cheaply.
import pino from 'pino';
import { logLevel } from './config.ts';
import { scrub } from './secrets.ts';

export type Logger = pino.Logger;

export function createLogger(name: string, bindings: Record<string, unknown> = {}): Logger {
  return pino(
    {
      name,
      level: logLevel(),
      base: { service: name, ...bindings },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: [
          'token',
          '*.token',
          'apiToken',
          '*.apiToken',
          'authorization',
          '*.authorization',
          '*.headers.authorization',
        ],
        censor: '[redacted]',
      },
      hooks: { streamWrite: scrub },
    },
    pino.destination({ fd: 2, sync: true }),
  );
}
