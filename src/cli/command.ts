/**
 * The shape of a `ulvs` subcommand. Each lives in src/cli/commands/<name>.ts and exports `command`.
 */
import { ERROR_CODES, UlvsError } from '../core/errors.js';

/** One `ulvs <name>` subcommand. */
export interface CliCommand {
  name: string;
  /** One line for `ulvs --help`. */
  summary: string;
  /** Full usage text printed on --help and on a UsageError. */
  usage: string;
  /** Runs the command; resolves to the process exit code. */
  run(argv: string[]): Promise<number>;
}

/** Thrown for a bad argument: the dispatcher prints the message and the command's usage, exit 2. */
export class UsageError extends UlvsError {
  constructor(message: string) {
    super(message, ERROR_CODES.Usage);
  }
}

/** Thrown for an expected failure the user can fix: the dispatcher prints the message alone, exit 1 (or `exitCode`). */
export class UserError extends UlvsError {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message, ERROR_CODES.User);
  }
}
