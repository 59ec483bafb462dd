import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatDuration, Progress } from '../../../core/host/cli/progress.ts';
import { whileAsking } from '../../../core/host/cli/questions.ts';
import type { RunnerEvent } from '../../../core/api/types.ts';

function output(isTTY: boolean) {
  const chunks: string[] = [];
  return { chunks, out: { write: (text: string) => void chunks.push(text), isTTY, columns: 100 } };
}

const event = (taskId: string, from: string, to: string, detail: string | null = null): RunnerEvent =>
  ({ type: 'task', runId: 'r1', taskId, from, to, attempt: 1, detail, at: Date.UTC(2026, 0, 1, 12, 0, 0) }) as RunnerEvent;

describe('progress view', () => {
  it('on a terminal: a redrawn block with a bar, counts per state and the running tasks', () => {
    const { chunks, out } = output(true);
    const progress = new Progress(out);
    progress.begin('r1', 'demo', { submitted: 1, waiting: 1 });
    progress.onEvent(event('a', 'submitted', 'running'));
    progress.onEvent(event('b', 'waiting', 'cached'));
    progress.note('a note');
    const screen = chunks.join('');
    assert.match(screen, /demo r1 {2}█+░+ {2}1\/2/);
    assert.match(screen, /\x1b\[34mrunning 1\x1b\[0m · \x1b\[36mcached 1\x1b\[0m/);
    assert.match(screen, /▸ a \(\d+\.\ds\)/);
    // Redraws move the cursor up over the previous block and clear it.
    assert.match(screen, /\x1b\[\d+A\x1b\[J/);
    progress.onEvent(event('a', 'running', 'failed', 'exit 3'));
    progress.end();
    const final = chunks.join('');
    assert.match(final, /failed a: exit 3/);
    assert.match(final.slice(final.lastIndexOf('\x1b[J')), /2\/2/);
  });

  it('while a question waits for its answer, the live view neither redraws nor clears; then it goes on', async () => {
    const { chunks, out } = output(true);
    const progress = new Progress(out);
    progress.begin('r1', 'demo', { waiting: 1 });
    let answer!: (text: string) => void;
    let asked!: () => void;
    const question = new Promise<void>((resolve) => (asked = resolve));
    const answered = whileAsking(() => {
      out.write('Trust it? ');
      asked();
      return new Promise<string>((resolve) => (answer = resolve));
    });
    await question;
    const before = chunks.length;
    progress.onEvent(event('a', 'running', 'failed', 'exit 3'));
    progress.note('a note');
    // Three times the redraw interval: nothing reaches the screen meanwhile.
    await new Promise((resolve) => setTimeout(resolve, 350));
    assert.equal(chunks.length, before, JSON.stringify(chunks.slice(before)));
    answer('y');
    await answered;
    const after = chunks.slice(before).join('');
    assert.match(after, /failed a: exit 3\na note\n/);
    assert.match(after, /demo r1/);
    progress.end();
  });

  it('without a terminal: one plain line per start, end, retry or block, no escape codes', () => {
    const { chunks, out } = output(false);
    const progress = new Progress(out);
    progress.begin('r1', 'demo', { waiting: 1 });
    progress.onEvent(event('a', 'waiting', 'ready'));
    progress.onEvent(event('a', 'submitted', 'running'));
    progress.onEvent(event('a', 'running', 'ready', 'exit 1; retrying (1 of 1 retries)'));
    progress.onEvent(event('a', 'running', 'succeeded'));
    progress.end();
    assert.deepEqual(chunks, [
      'run r1 of demo: 1 task\n',
      `[${new Date(Date.UTC(2026, 0, 1, 12)).toTimeString().slice(0, 8)}] started a\n`,
      `[${new Date(Date.UTC(2026, 0, 1, 12)).toTimeString().slice(0, 8)}] retrying a: exit 1; retrying (1 of 1 retries)\n`,
      `[${new Date(Date.UTC(2026, 0, 1, 12)).toTimeString().slice(0, 8)}] succeeded a\n`,
    ]);
  });

  it('a run that grows counts its new tasks as waiting', () => {
    const { chunks, out } = output(true);
    const progress = new Progress(out);
    progress.begin('r1', 'demo', { succeeded: 1 });
    progress.onEvent({ type: 'grew', runId: 'r1', tasks: ['next#0', 'next#1'] });
    progress.onEvent(event('next#0', 'waiting', 'cached'));
    progress.end();
    const screen = chunks.join('');
    assert.match(screen, /demo r1 {2}\S+ {2}2\/3 /);
    assert.match(screen, /waiting 1 · \x1b\[32msucceeded 1\x1b\[0m · \x1b\[36mcached 1\x1b\[0m/);
  });

  it('formats durations for people', () => {
    assert.equal(formatDuration(1234), '1.2s');
    assert.equal(formatDuration(185_000), '3m05s');
    assert.equal(formatDuration(7_260_000), '2h01m');
  });
});
