import { useEffect, useRef, useState } from 'react';
import { request } from '../api.ts';
import { useApi, useReportFailure } from '../common/context.ts';
import { EMPTY_LOG, keepTail } from './log-tail.ts';
import type { KeptLog } from './log-tail.ts';
import { LogLines } from './LogLines.tsx';

/**
 * One stream of an attempt as it is written: the core pushes what is new (`logs.follow`). It can
 * be searched (LogLines.tsx); `line` (from a link) is shown and marked.
 */
export function TaskLog({ run, task, attempt, stream, line }: { run: string; task: string; attempt: number | undefined; stream: 'stdout' | 'stderr'; line?: number | undefined }) {
  const api = useApi();
  const report = useReportFailure();
  const [log, setLog] = useState<KeptLog>(EMPTY_LOG);
  const text = log.text;
  const [error, setError] = useState<string>();
  const pre = useRef<HTMLPreElement>(null);
  useEffect(() => {
    setLog(EMPTY_LOG);
    setError(undefined);
    if (attempt === undefined) return;
    let follow: string | undefined;
    let live = true;
    const early: { follow: string; text: string; reset: boolean }[] = [];
    const apply = (event: { text: string; reset: boolean }) => setLog((current) => keepTail(event.reset ? EMPTY_LOG : current, event.text));
    const off = api.onEvent((event) => {
      if (event.type !== 'log') return;
      if (follow === undefined) early.push(event);
      else if (event.follow === follow) apply(event);
    });
    request(api, 'logs.follow', { run, task, stream, attempt })
      .then((result) => {
        // (An unfollow that does not arrive ends with the connection: the core drops a closed session's follows.)
        if (!live) return void request(api, 'logs.unfollow', { follow: result.follow }).catch(report('The log could not be unfollowed'));
        follow = result.follow;
        // Lines can arrive before the answer that names the follow.
        for (const event of early.splice(0)) if (event.follow === follow) apply(event);
      })
      .catch((caught: Error) => live && setError(caught.message));
    return () => {
      live = false;
      off();
      if (follow) void request(api, 'logs.unfollow', { follow }).catch(report('The log could not be unfollowed'));
    };
  }, [api, run, task, attempt, stream, report]);
  const [query, setQuery] = useState('');
  const [step, setStep] = useState({ seq: 0, by: 1 });
  const marking = query !== '' || line !== undefined;
  useEffect(() => {
    const element = pre.current;
    // New text keeps the end in view, unless a line is being looked at.
    if (element && !marking) element.scrollTop = element.scrollHeight;
  }, [text, marking]);
  if (attempt === undefined) return <p className="hint">The task has not run yet.</p>;
  if (error) return <p className="field-error">{error}</p>;
  return (
    <>
      <LogFind query={query} onQuery={setQuery} onStep={(by) => setStep((current) => ({ seq: current.seq + 1, by }))} />
      <pre className="log" ref={pre} aria-label={`${stream} of attempt ${attempt}`} tabIndex={0}>
        {!text ? <span className="hint">(empty)</span> : marking ? <LogLines text={text} firstLine={log.dropped + 1} query={query} line={line} step={step} place={{ run, task, stream, attempt }} scroller={pre} /> : text}
      </pre>
    </>
  );
}

function LogFind({ query, onQuery, onStep }: { query: string; onQuery: (query: string) => void; onStep: (by: number) => void }) {
  return (
    <div className="row log-find">
      <input
        type="search"
        aria-label="Find in log"
        placeholder="find in log (Enter: next)"
        value={query}
        onChange={(event) => onQuery(event.target.value)}
        onKeyDown={(event) => {
          if (event.key !== 'Enter') return;
          event.preventDefault();
          onStep(event.shiftKey ? -1 : 1);
        }}
      />
    </div>
  );
}

