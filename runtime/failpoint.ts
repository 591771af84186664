/**
 * Failpoints for crash tests: a named point in the message path where the process kills itself with SIGKILL, so a
 * test can prove what a crash exactly there does (issue 13 point 4: a kill between the SMTP server's acceptance and
 * the journal). Armed only by `MAIL_AUTOPILOT_FAILPOINT=<name>` in the environment of the process; never set in
 * production, and a no-op without it.
 *
 * @module
 */

/** The points the message path offers. */
export type FailpointName = 'after-smtp-accepted' | 'after-sent-copy';

const armed = process.env.MAIL_AUTOPILOT_FAILPOINT;

/**
 * Kills the process at once when this failpoint is armed.
 *
 * @example
 * ```ts
 * const result = await transport.send(mail);
 * failpoint('after-smtp-accepted'); // MAIL_AUTOPILOT_FAILPOINT=after-smtp-accepted: dies here
 * ```
 */
export function failpoint(name: FailpointName): void {
  if (armed === name) process.kill(process.pid, 'SIGKILL');
}
