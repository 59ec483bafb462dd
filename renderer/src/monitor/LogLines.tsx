import { useEffect, useMemo, useState } from 'react';
import type { RefObject } from 'react';
import { routeHash } from '../route.ts';

/** Lines searched in at most (the end of a longer log). */
const MAX_LINES = 50_000;

interface LogLinesProps {
  text: string;
  query: string;
  /** A line (from 1) to show and mark: a link's. */
  line: number | undefined;
  place: { run: string; task: string; stream: 'stdout' | 'stderr'; attempt: number };
  scroller: RefObject<HTMLPreElement | null>;
}

/**
 * A log as numbered lines: those holding `query` marked, one of them current (Enter / Shift+Enter,
 * or the arrows, go to the next / previous), and a link to the current line (the run, the task,
 * the stream and attempt, the line), which opens the app there.
 */
export function LogLines({ text, query, line, place, scroller }: LogLinesProps) {
  const lines = useMemo(() => {
    const all = text.split('\n');
    if (all.at(-1) === '') all.pop();
    return all.slice(-MAX_LINES);
  }, [text]);
  const offset = text.split('\n').length - (text.endsWith('\n') ? 1 : 0) - lines.length;
  const needle = query.toLowerCase();
  const hits = useMemo(() => (needle ? lines.flatMap((content, i) => (content.toLowerCase().includes(needle) ? [i] : [])) : []), [lines, needle]);
  const marked = useMemo(() => new Set(hits), [hits]);
  const [current, setCurrent] = useState(0);
  useEffect(() => setCurrent(0), [needle]);
  const shown = needle ? hits[Math.min(current, hits.length - 1)] : line !== undefined ? line - 1 - offset : undefined;
  useEffect(() => {
    if (shown === undefined || shown < 0) return;
    scroller.current?.querySelector(`[data-line="${shown + offset + 1}"]`)?.scrollIntoView({ block: 'center' });
  }, [shown, offset, scroller]);
  const go = (step: number) => setCurrent((at) => (hits.length === 0 ? 0 : (at + step + hits.length) % hits.length));
  const link = shown !== undefined && shown >= 0 ? routeHash({ view: 'runs', run: place.run, at: { ...place, line: shown + offset + 1 } }) : null;
  return (
    <>
      <span className="log-nav" contentEditable={false}>
        {needle && (
          <span aria-live="polite" aria-label="Matches">
            {hits.length === 0 ? 'no match' : `${Math.min(current, hits.length - 1) + 1} of ${hits.length}`}
          </span>
        )}
        {needle && hits.length > 1 && (
          <>
            <button className="small" aria-label="Previous match" onClick={() => go(-1)}>
              ↑
            </button>
            <button className="small" aria-label="Next match" onClick={() => go(1)}>
              ↓
            </button>
          </>
        )}
        {link && (
          <a href={link} aria-label="Link to this line" title="A link that opens this line of this log">
            link to line {shown! + offset + 1}
          </a>
        )}
      </span>
      {lines.map((content, i) => (
        <span key={i} data-line={i + offset + 1} className={i === shown ? 'log-line current' : marked.has(i) ? 'log-line hit' : 'log-line'}>
          <span className="line-number" aria-hidden="true">
            {i + offset + 1}
          </span>
          {content}
          {'\n'}
        </span>
      ))}
    </>
  );
}
