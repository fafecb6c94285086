// The one root logger. Components take a child of it; the destination is injected so tests
// can read log lines back.
import { pino, type DestinationStream, type Logger } from 'pino';
import { SECRET_KEYS } from './secret-keys.js';

export type { Logger };

export interface LoggerOptions {
  level?: string;
  /** Human-readable lines instead of JSON (for terminals). */
  pretty?: boolean;
  destination?: DestinationStream;
}

// Secrets never reach a log line even when an object that carries them is logged: every config
// key that holds a secret, and the headers that carry credentials.
const REDACT = [
  ...[...SECRET_KEYS].map((k) => `*.${k}`),
  '*.authorization',
  '*.headers.authorization',
  '*.headers["dd-api-key"]',
];

export function createLogger(options: LoggerOptions = {}): Logger {
  const base = { level: options.level ?? 'info', redact: { paths: REDACT, censor: '<secret>' } };
  if (options.destination) return pino(base, options.destination);
  if (options.pretty) {
    return pino({ ...base, transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss' } } });
  }
  return pino(base);
}

/** A logger that drops everything, for tests and tools that print their own output. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
