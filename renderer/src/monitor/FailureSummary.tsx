import { duration } from '../common/format.ts';
import type { AttemptRecord } from '../../../core/api/types.ts';

/** How a failed task's latest attempt ended, where, and the exact command it ran: what one reads before its stderr. */
export function FailureSummary({ attempt }: { attempt: AttemptRecord }) {
  const how = attempt.signal ? `killed by ${attempt.signal}` : attempt.exitCode !== null ? `exit code ${attempt.exitCode}` : 'no exit code';
  return (
    <section className="failure" aria-label="How it failed">
      <div>
        <strong>
          Attempt {attempt.n} {attempt.state}: {how}
        </strong>
        {attempt.schedulerState && <> · scheduler state {attempt.schedulerState}</>}
        {attempt.startedAt && <> · ran {duration((attempt.endedAt ?? Date.now()) - attempt.startedAt)}</>}
      </div>
      <div>
        on {attempt.target}
        {attempt.host && ` (${attempt.host})`}
        {attempt.jobId && <>, job <span className="mono">{attempt.jobId}</span></>}
        {attempt.reason && <> — {attempt.reason}</>}
      </div>
      <details open>
        <summary>Command that ran</summary>
        <pre className="mono" aria-label="Command that ran">
          {attempt.command}
        </pre>
      </details>
    </section>
  );
}
