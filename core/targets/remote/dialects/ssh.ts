/**
 * A plain host over SSH: a job is the wrapper started detached (`nohup setsid`), its id the
 * wrapper's process id; it is alive while that process is; a stop is TERM to its process group.
 * There is no queue and no time limit but the one the wrapper keeps.
 */
import { shellQuote as q } from '../../../util/shell.ts';
import type { Dialect } from './dialect.ts';

export const ssh: Dialect = {
  kind: 'ssh',
  followsEdges: false,
  submitter: 'start',
  directives: () => [],
  jobIdText: '$$',
  timeLimit(seconds) {
    if (seconds === undefined) return { watch: [], unwatch: [] };
    return {
      // It ignores TERM (a stop reaches the wrapper's group), so only KILL stops it.
      watch: [`( trap '' TERM; sleep ${seconds}; if kill -0 "$child" 2>/dev/null; then echo "timeout $(date +%s)" >> "$d/status"; kill -TERM $$; fi ) >/dev/null 2>&1 &`, 'watchdog=$!'],
      unwatch: ['kill -KILL "$watchdog" 2>/dev/null'],
    };
  },
  group: (batch) => batch.map((submission) => [submission]),
  submitOne: (s, variable) => `(cd -- ${q(s.dir)} && nohup setsid /bin/sh job.sh < /dev/null > /dev/null 2> submit.err & echo $! > ${q(`${s.dir}/jobid`)}); ${variable}=$(cat ${q(`${s.dir}/jobid`)})`,
  submitMany() {
    throw new Error('a plain host starts attempts one by one');
  },
  stopJob: 'kill -TERM -"$j" 2>/dev/null || kill -TERM "$j" 2>/dev/null',
  stopCommand: (jobId) => (/^\d+$/.test(jobId) ? `kill -TERM -${jobId} 2>/dev/null || kill -TERM ${jobId} 2>/dev/null` : undefined),
  queueCommands: () => [],
  probe: `[ -s "$d/jobid" ] && kill -0 "$(cat "$d/jobid")" 2>/dev/null && echo alive; `,
  findJob: () => undefined,
  alive: (markers) => markers.alive,
  canTellGone: () => true,
  endState: () => null,
  neverRuns: () => false,
  leftForDependency: () => false,
  meaning: (state) => state,
};
