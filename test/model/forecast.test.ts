/**
 * The ETA arithmetic on numbers: estimates from durations, and what remains scheduled on paper
 * (capacity, the longest path first, running and queued tasks, loops, failures).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Durations, estimateOf, KEPT_SAMPLES, loopKey, quantile } from '../../core/model/estimates.ts';
import type { Estimate } from '../../core/model/estimates.ts';
import { forecastRun, STUCK_MIN_MS } from '../../core/model/forecast.ts';
import type { ForecastInput, ForecastTask } from '../../core/model/forecast.ts';

const S = 1000;
const NOW = 1_800_000_000_000;

function durations(history: Record<string, number[]>, target = 'local'): Durations {
  const result = new Durations();
  for (const [path, list] of Object.entries(history)) for (const ms of list) result.add(path, target, ms);
  return result;
}

/** Tasks by id with `after` by id; each is its own path on `local` unless given. */
function tasks(list: (Partial<Omit<ForecastTask, 'after'>> & { id: string; after?: string[] })[]): ForecastTask[] {
  const ids = list.map((task) => task.id);
  return list.map(({ after = [], ...task }) => ({ path: task.id, target: 'local', state: 'waiting', ...task, after: after.map((id) => ids.indexOf(id)) }));
}

function input(list: ForecastTask[], history: Durations, more: Partial<ForecastInput> = {}): ForecastInput {
  return { now: NOW, tasks: list, durations: history, iterations: new Map(), capacity: () => 2, ...more };
}

describe('estimates from past durations', () => {
  it('takes the median and quartiles, interpolated', () => {
    assert.equal(quantile([10, 20, 30, 40], 0.5), 25);
    const estimate = estimateOf([40, 10, 30, 20, 50])!;
    assert.deepEqual([estimate.median, estimate.low, estimate.high, estimate.samples], [30, 20, 40, 5]);
    assert.equal(estimate.p95, 48);
    assert.equal(estimateOf([]), undefined);
  });

  it('widens the range to ±25 % while there are fewer than three samples', () => {
    const estimate = estimateOf([100, 100])!;
    assert.deepEqual([estimate.low, estimate.median, estimate.high], [75, 100, 125]);
  });

  it('keeps the newest samples of each path and target, pooled (the caller adds them newest first)', () => {
    const history = new Durations();
    for (let i = 0; i < KEPT_SAMPLES; i++) history.add('sim', 'hpc', 10 * S);
    history.add('sim', 'hpc', 1000 * S);
    history.add('sim', 'local', 1 * S);
    assert.equal(history.of('sim', 'hpc')!.median, 10 * S);
    assert.equal(history.of('sim', 'hpc')!.samples, KEPT_SAMPLES);
    assert.equal(history.of('sim', 'local')!.median, 1 * S);
    assert.equal(history.of('other', 'hpc'), undefined);
  });

  it('says how much longer a running task goes on from the attempts that ran longer than it has', () => {
    const history = durations({ sim: [10 * S, 20 * S, 30 * S, 40 * S] });
    assert.equal(history.remaining('sim', 'local', 0, 'median'), 25 * S);
    // Past 25 s only 30 s and 40 s are left: 5 s and 15 s more, 10 s the median.
    assert.equal(history.remaining('sim', 'local', 25 * S, 'median'), 10 * S);
    // Past every sample: it ends soon (a tenth of the median).
    assert.equal(history.remaining('sim', 'local', 60 * S, 'median'), 2.5 * S);
    assert.equal(history.remaining('other', 'local', 0, 'median'), undefined);
  });

  it("names a loop's iterations by the loop, whatever iteration or sweep instance it is in", () => {
    assert.equal(loopKey('md'), 'md');
    assert.equal(loopKey('run[2]/md#1/inner'), 'run/md/inner');
  });
});

describe('the run forecast', () => {
  it('adds a chain up: ETA is now plus the medians, the range from the quartiles', () => {
    const history = durations({ a: [10 * S, 10 * S, 10 * S], b: [20 * S, 20 * S, 20 * S], c: [20 * S, 30 * S, 40 * S] });
    const forecast = forecastRun(input(tasks([{ id: 'a' }, { id: 'b', after: ['a'] }, { id: 'c', after: ['b'] }]), history));
    assert.equal(forecast.eta, NOW + 60 * S);
    assert.equal(forecast.low, NOW + 55 * S);
    assert.equal(forecast.high, NOW + 65 * S);
    assert.deepEqual([forecast.atLeast, forecast.remaining, forecast.unknown], [false, 3, 0]);
    assert.equal(forecast.progress, 0);
  });

  it("fills each target's max_parallel slots, and the run's own cap", () => {
    const history = durations({ t: [10 * S] });
    const four = tasks(['1', '2', '3', '4'].map((n) => ({ id: `t[${n}]`, path: 't' })));
    assert.equal(forecastRun(input(four, history)).eta, NOW + 20 * S);
    assert.equal(forecastRun(input(four, history, { capacity: () => 4 })).eta, NOW + 10 * S);
    assert.equal(forecastRun(input(four, history, { capacity: () => 4, cap: 1 })).eta, NOW + 40 * S);
  });

  it('starts the longest remaining path first, as the scheduler does', () => {
    // Two slots: a→b (20 s in all) must start at once, beside c or d, for the run to take 20 s.
    const history = durations({ a: [10 * S], b: [10 * S], c: [10 * S], d: [10 * S] });
    const list = tasks([{ id: 'c' }, { id: 'd' }, { id: 'a' }, { id: 'b', after: ['a'] }]);
    const forecast = forecastRun(input(list, history, { withTasks: true }));
    assert.equal(forecast.eta, NOW + 20 * S);
    assert.deepEqual(forecast.tasks!.find((task) => task.task === 'b'), { task: 'b', start: NOW + 10 * S, end: NOW + 20 * S, estimate: 10 * S });
  });

  it('counts a running task by how much longer it goes on, a queued job from when its scheduler expects to start it', () => {
    const history = durations({ run: [10 * S, 20 * S, 30 * S], queued: [10 * S, 10 * S, 10 * S] });
    const list = tasks([
      { id: 'run', state: 'running', startedAt: NOW - 15 * S },
      { id: 'queued', state: 'submitted', target: 'local', expectedStart: NOW + 30 * S },
    ]);
    const forecast = forecastRun(input(list, history, { withTasks: true }));
    assert.equal(forecast.tasks!.find((task) => task.task === 'run')!.end, NOW + 10 * S);
    assert.equal(forecast.eta, NOW + 40 * S);
    // 15 s of `run` done, 10 s of it and 40 s of `queued` left.
    assert.equal(forecast.progress, 15 / 65);
  });

  it('ends no sooner than it says when tasks have no history, and counts them', () => {
    const forecast = forecastRun(input(tasks([{ id: 'a' }, { id: 'new', after: ['a'] }]), durations({ a: [10 * S] })));
    assert.equal(forecast.eta, NOW + 10 * S);
    assert.deepEqual([forecast.atLeast, forecast.unknown, forecast.progress], [true, 1, null]);
    // A queued job without history starts no sooner than its scheduler expects.
    const queued = forecastRun(input(tasks([{ id: 'job', state: 'submitted', expectedStart: NOW + 300 * S }]), durations({})));
    assert.deepEqual([queued.eta, queued.atLeast, queued.unknown], [NOW + 300 * S, true, 1]);
  });

  it('leaves out what will never run after a failure', () => {
    const history = durations({ a: [10 * S], b: [100 * S], c: [5 * S] });
    const forecast = forecastRun(input(tasks([{ id: 'a', state: 'failed' }, { id: 'b', after: ['a'] }, { id: 'c' }]), history));
    assert.deepEqual([forecast.eta, forecast.remaining], [NOW + 5 * S, 1]);
  });

  it('gives a loop an estimate per iteration and says the count is unknown', () => {
    const history = durations({ 'md/run': [10 * S, 10 * S, 10 * S], after: [5 * S] });
    const iterations = new Map<string, Estimate>([['md', estimateOf([12 * S, 12 * S, 12 * S])!]]);
    const list = tasks([
      { id: 'md', state: 'running', loop: { kind: 'repeat', max: 12 } },
      { id: 'md#0/run', path: 'md/run', state: 'succeeded' },
      { id: 'md#1/run', path: 'md/run', state: 'running', startedAt: NOW - 4 * S },
      { id: 'after', after: ['md'] },
    ]);
    const forecast = forecastRun(input(list, history, { iterations }));
    // The iteration under way ends in 6 s, then `after` takes 5 s: no sooner than that.
    assert.equal(forecast.eta, NOW + 11 * S);
    assert.equal(forecast.atLeast, true);
    assert.deepEqual(forecast.loops, [{ task: 'md', perIteration: 12 * S, made: 2, max: 12 }]);
    // A loop not started yet counts one iteration.
    const before = forecastRun(input(tasks([{ id: 'md', loop: { kind: 'repeat', max: 12 } }, { id: 'after', after: ['md'] }]), history, { iterations }));
    assert.equal(before.eta, NOW + 17 * S);
    assert.deepEqual(before.loops, [{ task: 'md', perIteration: 12 * S, made: 0, max: 12 }]);
  });

  it('ends no sooner than it says while a foreach over a value has yet to make its tasks', () => {
    const forecast = forecastRun(input(tasks([{ id: 'plan' }, { id: 'fan', after: ['plan'], loop: { kind: 'foreach', max: null } }]), durations({ plan: [10 * S] })));
    assert.deepEqual([forecast.eta, forecast.atLeast, forecast.loops], [NOW + 10 * S, true, []]);
  });

  it('flags a task running far past its estimate as likely stuck', () => {
    const history = durations({ slow: [60 * S, 60 * S, 60 * S], quick: [1 * S, 1 * S, 1 * S] });
    const list = tasks([
      { id: 'slow', state: 'running', startedAt: NOW - 10 * 60 * S },
      { id: 'quick', state: 'running', startedAt: NOW - 20 * S },
    ]);
    const forecast = forecastRun(input(list, history));
    assert.deepEqual(forecast.stuck, [{ task: 'slow', elapsed: 600 * S, estimate: 60 * S }]);
    // Ten minutes of a one-minute task count as one minute of work done.
    assert.ok(Math.abs(forecast.progress! - 61 / 67.1) < 1e-9);
    // 20 times its median, but a mere 19 s past it: not stuck (STUCK_MIN_MS).
    assert.ok(19 * S < STUCK_MIN_MS);
  });

  it('has nothing to say of a run with nothing left', () => {
    const forecast = forecastRun(input(tasks([{ id: 'a', state: 'succeeded' }]), durations({ a: [10 * S] })));
    assert.deepEqual([forecast.eta, forecast.remaining, forecast.progress], [null, 0, 1]);
  });
});
