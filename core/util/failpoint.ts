/**
 * Crash points for tests of exactly-once behaviour: with FLOTILLA_FAILPOINT=NAME in its
 * environment, the process kills itself (SIGKILL, no clean-up) when it reaches that point.
 * Without the variable this is a no-op.
 */
export function failpoint(name: string): void {
  if (process.env.FLOTILLA_FAILPOINT === name) process.kill(process.pid, 'SIGKILL');
}
