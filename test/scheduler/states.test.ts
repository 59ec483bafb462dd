import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TASK_STATES } from '../../core/model/task-states.ts';
import type { TaskState } from '../../core/model/task-states.ts';
import { applyTransition, checkTransition, IllegalTransitionError, isAllowed, TRANSITIONS } from '../../core/scheduler/states.ts';

/** The whole table, written out independently of the code: from → the states it may go to. */
const EXPECTED: Record<TaskState, TaskState[]> = {
  // (waiting → succeeded: a loop's control concludes; it runs no attempt.)
  waiting: ['ready', 'cached', 'skipped', 'submitted', 'blocked', 'cancelled', 'failed', 'succeeded'],
  ready: ['waiting', 'cached', 'submitted', 'blocked', 'cancelled'],
  submitted: ['waiting', 'running', 'succeeded', 'failed', 'ready', 'cancelled'],
  running: ['succeeded', 'failed', 'ready', 'cancelled'],
  succeeded: ['waiting'],
  cached: ['waiting'],
  skipped: ['waiting'],
  failed: ['waiting'],
  blocked: ['waiting'],
  cancelled: ['waiting'],
};

describe('task state machine', () => {
  for (const from of TASK_STATES) {
    for (const to of TASK_STATES) {
      const allowed = EXPECTED[from].includes(to);
      it(`${from} → ${to} is ${allowed ? 'allowed' : 'refused'}`, () => {
        assert.equal(isAllowed(from, to), allowed);
        if (allowed) {
          checkTransition('t', from, to);
        } else {
          assert.throws(
            () => checkTransition('align', from, to),
            (error: unknown) => error instanceof IllegalTransitionError && error.message === `illegal transition of task 'align' from ${from} to ${to}`,
          );
        }
      });
    }
  }

  it('named transitions lead where the table says and refuse other starting states', () => {
    for (const [name, transition] of Object.entries(TRANSITIONS)) {
      for (const from of TASK_STATES) {
        const starts = (transition.from as readonly TaskState[]).includes(from);
        if (starts) assert.equal(applyTransition('x', from, name as keyof typeof TRANSITIONS), transition.to);
        else assert.throws(() => applyTransition('x', from, name as keyof typeof TRANSITIONS), /illegal transition of task 'x'/);
      }
    }
  });
});
