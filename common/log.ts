// Structured JSON logs (pino) on stderr; human-readable when stderr is a terminal
// (or VSP_LOG_FORMAT=pretty). Level from VSP_LOG_LEVEL (default info).
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(component: string): Logger {
  const pretty = process.env.VSP_LOG_FORMAT === 'pretty' || (process.env.VSP_LOG_FORMAT !== 'json' && process.stderr.isTTY);
  const options = { name: component, level: process.env.VSP_LOG_LEVEL ?? 'info' };
  if (pretty) {
    return pino(options, pino.transport({ target: 'pino-pretty', options: { destination: 2, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } }));
  }
  return pino(options, pino.destination({ fd: 2, sync: false }));
}
