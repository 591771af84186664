/**
 * The CLI's exit codes, documented in docs/cli.md. Stable: scripts and service managers depend on them.
 *
 * @example
 * ```ts
 * if (code === EXIT_CODES.MAILBOX_STOPPED) alert('a mailbox gave up (S10)');
 * ```
 */
export const EXIT_CODES = Object.freeze({
  /** Success. */
  OK: 0,
  /** Something failed at run time that has no more specific code. */
  FAILURE: 1,
  /** The command line was wrong (unknown command or option). */
  USAGE: 64,
  /** The configuration is invalid (sysexits EX_CONFIG). */
  CONFIG: 78,
  /** A mailbox could not connect in `--once` mode. */
  CONNECT_FAILED: 69,
  /** Service mode: a mailbox reached `stopped` by S9 (S10). */
  MAILBOX_STOPPED: 75,
  /** `run --once`: at least one message of this run was dead-lettered (sysexits EX_DATAERR; issue 13). */
  DEAD_LETTERED: 65,
  /** `test`: a message file could not be read or is not a message (sysexits EX_DATAERR, like DEAD_LETTERED). */
  DATA_ERROR: 65,
  /** `run`: the journal is held by another process (sysexits EX_CANTCREAT; issue 13). */
  JOURNAL_LOCKED: 73,
});
