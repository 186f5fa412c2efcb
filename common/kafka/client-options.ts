import type { Logger } from '../log.js';

/** What createKafka (client.ts) passes to either client adapter. */
export interface ClientOptions {
  /** Retries of each operation (default 5); 0 fails at once, for probes. */
  retries?: number;
  /** Client warnings and errors go here; none are logged without it. */
  log?: Logger;
}
