/**
 * The run monitor's times without a browser: what the timeline draws (rows, span, axis ticks),
 * each task's timing as statuses and transitions move it, and how it reads in a node or a row.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RunAttempt, RunForecast, RunStatus } from '../../core/api/types.ts';
import { runFlowNodes } from '../../renderer/src/monitor/flow.ts';
import { medianTime, retriedOf, shape, spanOf, timingText } from '../../renderer/src/monitor/model.ts';
import { createRunStore } from '../../renderer/src/monitor/run-store.ts';
import { keepTail, EMPTY_LOG, MAX_KEPT } from '../../renderer/src/monitor/log-tail.ts';
import { tickLabel, timelineRows, timelineSpan, timeTicks } from '../../renderer/src/monitor/timeline.ts';

const T = Date.UTC(2026, 11, 7, 14, 0, 0);
const S = 1000;

function attempt(task: string, n: number, submittedAt: number, startedAt: number | null, endedAt: number | null, state: RunAttempt['state'] = endedAt ? 'succeeded' : 'running'): RunAttempt {
  return { task, n, state, target: 'local', host: 'vm', jobId: null, submittedAt, startedAt, endedAt, exitCode: state === 'succeeded' ? 0 : null };
}

function forecast(tasks: RunForecast['tasks']): RunForecast {
  return { at: T, eta: T + 60 * S, low: T + 50 * S, high: T + 70 * S, atLeast: false, remaining: tasks!.length, unknown: 0, progress: 0.5, loops: [], stuck: [], tasks };
}

describe('the timeline', () => {
  it('draws attempts by when they were submitted, a running one with its forecast end, then the tasks to come', () => {
    const attempts = [attempt('b', 1, T + 5 * S, T + 6 * S, null), attempt('a', 1, T, T + S, T + 4 * S), attempt('a', 2, T + 20 * S, null, null, 'submitted')];
    const rows = timelineRows(attempts, forecast([
      { task: 'b', start: T, end: T + 30 * S, estimate: 20 * S },
      { task: 'c', start: T + 40 * S, end: T + 60 * S, estimate: 20 * S },
      // One whose attempt the forecast has not heard of yet: drawn by its attempt.
      { task: 'a', start: T + 30 * S, end: T + 40 * S, estimate: 3 * S },
    ]));
    assert.deepEqual(rows.map((row) => (row.kind === 'attempt' ? `${row.attempt.task}#${row.attempt.n}→${row.forecastEnd}` : `~${row.task}`)), [`a#1→null`, `b#1→${T + 30 * S}`, `a#2→${T + 40 * S}`, '~c']);
    assert.deepEqual(timelineSpan(rows, T + 10 * S), { start: T, end: T + 60 * S });
    assert.deepEqual(timelineRows([], null), []);
  });

  it('puts ticks at a round step at least 90 px apart, in local time', () => {
    const { step, ticks } = timeTicks(T + 3 * S, T + 10 * 60 * S, 900);
    assert.equal(step, 60 * S);
    assert.equal(ticks.length, 10);
    assert.equal((ticks[0]! - new Date(ticks[0]!).getTimezoneOffset() * -60_000) % step, 0);
    assert.equal(new Date(ticks[0]!).getSeconds(), 0);
    assert.equal(timeTicks(T, T + 10 * S, 900).step, 1000);
    assert.match(tickLabel(T + 5 * S, 1000), /^\d\d:\d\d:05$/);
    assert.match(tickLabel(T, 60_000), /^\d\d:\d\d$/);
  });
});

describe("each task's timing", () => {
  it('takes times, exit and tries from statuses, moves them with transitions, and reads them in a few words', () => {
    const run = createRunStore(60_000);
    const last = (startedAt: number, endedAt: number | null, exitCode: number | null) => ({ startedAt, endedAt, exitCode, signal: null });
    run.getState().applyStatus({
      run: { id: 'r', name: 'w', file: '/w.yaml', state: 'running', createdAt: T, endedAt: null, stopped: null },
      counts: {},
      clusters: [],
      tasks: [
        { id: 'a', state: 'failed', attempts: 2, reason: 'exit 3', last: last(T, T + 3 * S, 3) },
        { id: 'b', state: 'running', attempts: 1, reason: null, last: last(T + S, null, null) },
        { id: 'c', state: 'waiting', attempts: 0, reason: null },
      ],
    } as unknown as RunStatus);
    const timings = run.getState().timings;
    assert.equal(timingText(timings.get('a'), T + 100 * S), '3.0 s · exit 3 · try 2');
    assert.equal(timingText(timings.get('b'), T + 11 * S), '10 s');
    assert.equal(timingText(timings.get('c'), T), '');
    run.getState().applyTransition('b', 'succeeded', null, T + 21 * S, 1);
    run.getState().applyTransition('c', 'running', null, T + 22 * S, 1);
    assert.equal(timingText(timings.get('b'), T + 99 * S), '20 s');
    assert.equal(timingText(timings.get('c'), T + 24 * S), '2.0 s');
    assert.equal(medianTime(['a', 'b', 'c'], timings), 20 * S);
    // A sweep's or a loop's summary: how many took more than one try, and from the first start to the last end.
    assert.equal(retriedOf(['a', 'b', 'c'], timings), 1);
    assert.deepEqual(spanOf(['a', 'b'], timings), { from: T, to: T + 21 * S });
    assert.deepEqual(spanOf(['a', 'c'], timings), { from: T, to: null });
    assert.equal(spanOf(['nothing'], timings), undefined);
    // A node shows its task's timing, and is made anew when it moves.
    const tasks = ['a', 'b', 'c'].map((id) => ({ id, path: id, after: [], target: 'local', vars: {} }));
    const boxes = new Map(['a', 'b', 'c'].map((id, i) => [id, { x: i * 100, y: 0, width: 200, height: 60 }]));
    const structure = shape(tasks, new Set());
    const first = runFlowNodes(structure, boxes, run.getState().states, null, new Map(), undefined, timings);
    assert.equal(first.find((node) => node.id === 'a')!.data.timing!.exitCode, 3);
    run.getState().applyTransition('c', 'succeeded', null, T + 30 * S, 1);
    const again = runFlowNodes(structure, boxes, run.getState().states, null, new Map(first.map((node) => [node.id, node])), undefined, timings);
    assert.equal(again.find((node) => node.id === 'a'), first.find((node) => node.id === 'a'));
    assert.notEqual(again.find((node) => node.id === 'c'), first.find((node) => node.id === 'c'));
    // A folded sweep that nothing moved is the same node too.
    const swept = ['s[0]', 's[1]'].map((id) => ({ id, path: 's', after: [], target: 'local', vars: {} }));
    const folded = shape(swept, new Set());
    const sweepBoxes = new Map([['sweep:s', { x: 0, y: 0, width: 200, height: 60 }]]);
    const once = runFlowNodes(folded, sweepBoxes, run.getState().states, null, new Map(), undefined, timings);
    const twice = runFlowNodes(folded, sweepBoxes, run.getState().states, null, new Map(once.map((node) => [node.id, node])), undefined, timings);
    assert.equal(twice[0], once[0]);
    run.getState().dispose();
  });
});

describe('the end of a log kept', () => {
  it('keeps whole lines from the end, and counts the lines it dropped (line numbers and links stay true)', () => {
    const line = (n: number) => `row ${String(n).padStart(7, '0')}\n`;
    let log = EMPTY_LOG;
    let n = 1;
    while (n <= 300_000) {
      let chunk = '';
      for (let k = 0; k < 1000; k++) chunk += line(n++);
      log = keepTail(log, chunk);
    }
    assert.ok(log.text.length <= MAX_KEPT);
    assert.ok(log.text.startsWith('row '));
    const first = Number(log.text.slice(4, 11));
    assert.equal(log.dropped + 1, first);
    assert.ok(log.text.endsWith(line(300_000)));
  });
});
