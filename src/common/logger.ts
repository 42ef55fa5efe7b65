import pino from 'pino';
import type { Config } from '../config/config';

export type Logger = pino.Logger;

/** JSON lines on stderr; the platform collects them. */
export function createLogger(level: Config['logLevel']): Logger {
  return pino({ level, base: undefined }, pino.destination(2));
}
