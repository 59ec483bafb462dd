import { useEffect, useMemo, useState } from 'react';
import type { RefObject } from 'react';
import { routeHash } from '../route.ts';

/** Lines drawn around the one shown, at most (a log of 50,000 lines drawn whole stalls the page). */
const WINDOW = 1500;

interface LogLinesProps {
  text: string;
  /** The number (from 1) of the text's first line: lines before it were dropped (a log kept to its end). */
  firstLine: number;
  query: string;
  /** A line (from 1) to show and mark: a link's. */
  line: number | undefined;
  /** Moves the current match when it changes: +1 the next, -1 the one before (Enter, Shift+Enter in the find field). */
  step: { seq: number; by: number };
  place: { run: string; task: string; stream: 'stdout' | 'stderr'; attempt: number };
  scroller: RefObject<HTMLPreElement | null>;
}

/**
 * A log as numbered lines: those holding `query` marked, one of them current (Enter / Shift+Enter,
 * or the arrows, go to the next / previous), and a link to the current line (the run, the task,
 * the stream and attempt, the line), which opens the app there. Only the lines around it are drawn.
 */
export function LogLines({ text, firstLine, query, line, step, place, scroller }: LogLinesProps) {
  const lines = useMemo(() => {
    const all = text.split('\n');
    if (all.at(-1) === '') all.pop();
    return all;
  }, [text]);
  const needle = query.toLowerCase();
  const hits = useMemo(() => (needle ? lines.flatMap((content, i) => (content.toLowerCase().includes(needle) ? [i] : [])) : []), [lines, needle]);
  const marked = useMemo(() => new Set(hits), [hits]);
  const [current, setCurrent] = useState(0);
  useEffect(() => setCurrent(0), [needle]);
  const go = (by: number) => setCurrent((at) => (hits.length === 0 ? 0 : (at + by + hits.length) % hits.length));
  // eslint-disable-next-line react-hooks/exhaustive-deps
  useEffect(() => (step.seq > 0 ? go(step.by) : undefined), [step.seq]);
  const at = Math.min(current, hits.length - 1);
  const shown = needle ? hits[at] : line !== undefined ? line - firstLine : undefined;
  useEffect(() => {
    if (shown === undefined || shown < 0) return;
    scroller.current?.querySelector(`[data-line="${shown + firstLine}"]`)?.scrollIntoView({ block: 'center' });
  }, [shown, firstLine, scroller]);
  const link = shown !== undefined && shown >= 0 && shown < lines.length ? routeHash({ view: 'runs', run: place.run, at: { ...place, line: shown + firstLine } }) : null;
  const center = shown !== undefined && shown >= 0 ? Math.min(shown, lines.length - 1) : lines.length - 1;
  const from = Math.max(0, center - WINDOW);
  const to = Math.min(lines.length, center + WINDOW);
  return (
    <>
      <span className="log-nav" contentEditable={false}>
        {needle && (
          <span aria-live="polite" aria-label="Matches">
            {hits.length === 0 ? 'no match' : `${at + 1} of ${hits.length}`}
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
            link to line {shown! + firstLine}
          </a>
        )}
      </span>
      {(firstLine > 1 || from > 0) && <span className="hint">{`… ${firstLine - 1 + from} lines before\n`}</span>}
      {lines.slice(from, to).map((content, k) => {
        const i = from + k;
        return (
          <span key={i} data-line={i + firstLine} className={i === shown ? 'log-line current' : marked.has(i) ? 'log-line hit' : 'log-line'}>
            <span className="line-number" aria-hidden="true">
              {i + firstLine}
            </span>
            {content}
            {'\n'}
          </span>
        );
      })}
      {to < lines.length && <span className="hint">{`… ${lines.length - to} lines after\n`}</span>}
    </>
  );
}
