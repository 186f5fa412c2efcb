// Errors shared by every component; the CLI runner (cli/run.ts) turns them into exit codes.

/** A problem with what the user asked for (a flag, a config field); printed as one line. */
export class UsageError extends Error {
  override name = 'UsageError';
}
