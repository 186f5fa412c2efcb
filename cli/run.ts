import { Command, CommanderError } from 'commander';
import { UsageError } from '../common/errors.js';

/**
 * Parses argv and runs the chosen command. Any failure ends the process with a non-zero code
 * and one line on stderr that names the problem, never a stack trace for user errors.
 */
export async function runCli(program: Command, argv: string[]): Promise<void> {
  exitWithSupervisor();
  exitOnStrayErrors();
  program.exitOverride();
  for (const cmd of allCommands(program)) cmd.exitOverride().showHelpAfterError(false);
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander already printed its one-line message (or the help/version text).
      process.exit(err.exitCode);
    }
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`vsp: ${message}\n`);
    if (!(err instanceof UsageError) && process.env.VSP_DEBUG) console.error(err);
    process.exit(err instanceof UsageError ? 2 : 1);
  }
}

/**
 * An error no code path handled is a bug: say so on stderr and exit non-zero, so that a
 * supervisor restarts the component, instead of running on in an unknown state or hanging.
 */
function exitOnStrayErrors(): void {
  const die = (kind: string) => (err: unknown) => {
    const detail = err instanceof Error ? (err.stack ?? err.message) : String(err);
    process.stderr.write(`vsp: ${kind}: ${detail}\n`);
    process.exit(70);
  };
  process.on('unhandledRejection', die('unhandled rejection'));
  process.on('uncaughtException', die('uncaught exception'));
}

function allCommands(cmd: Command): Command[] {
  return cmd.commands.flatMap((c) => [c, ...allCommands(c)]);
}

/**
 * A component started by a supervisor (`vsp demo`, tests) is told so by VSP_SUPERVISED=1; if the
 * supervisor dies without stopping it (SIGKILL), the component is re-parented and stops itself
 * cleanly instead of running on as an orphan.
 */
function exitWithSupervisor(): void {
  if (process.env.VSP_SUPERVISED !== '1') return;
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) process.kill(process.pid, 'SIGTERM');
  }, 1000).unref();
}
