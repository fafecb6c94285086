// The one root logger. Components take a child of it; the destination is injected so tests
// can read log lines back.
import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

export interface LoggerOptions {
  level?: string;
  /** Human-readable lines instead of JSON (for terminals). */
  pretty?: boolean;
  destination?: DestinationStream;
}

// Secrets never reach a log line even when an error object carries them.
const REDACT = [
  '*.password',
  '*.bearer_token',
  '*.token',
  '*.api_key',
  '*.routing_key',
  '*.authorization',
  '*.headers.authorization',
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
