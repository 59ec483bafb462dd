import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PriorityQueue } from '../../core/util/heap.ts';

/** What the queue must give: highest priority first, ties in index order. */
function expectedOrder(tasks: number[], priority: number[]): number[] {
  return [...tasks].sort((a, b) => priority[b]! - priority[a]! || a - b);
}

/** A small deterministic generator (a linear congruential one), so a failure can be replayed. */
function numbers(seed: number): () => number {
  let state = seed;
  return () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32;
}

describe('the priority queue of tasks', () => {
  it('pops by priority, ties in declaration order, whatever the order of pushes', () => {
    for (let seed = 1; seed <= 50; seed++) {
      const random = numbers(seed);
      const count = 1 + Math.floor(random() * 200);
      // Few distinct priorities: many ties.
      const priority = Array.from({ length: count }, () => Math.floor(random() * 6));
      const tasks = Array.from({ length: count }, (_, i) => i).sort(() => random() - 0.5);
      const queue = new PriorityQueue(priority);
      for (const task of tasks) queue.push(task);
      assert.equal(queue.size, count);
      const popped: number[] = [];
      for (let task = queue.pop(); task !== undefined; task = queue.pop()) popped.push(task);
      assert.deepEqual(popped, expectedOrder(tasks, priority), `seed ${seed}`);
      assert.equal(queue.size, 0);
    }
  });

  it('keeps its order through pushes between pops and removals', () => {
    const random = numbers(7);
    const priority = Array.from({ length: 300 }, () => Math.floor(random() * 10));
    const queue = new PriorityQueue(priority);
    const held = new Set<number>();
    let next = 0;
    for (let step = 0; step < 600; step++) {
      const choice = random();
      if (choice < 0.5 && next < priority.length) {
        queue.push(next);
        held.add(next++);
      } else if (choice < 0.6 && held.size > 0) {
        const task = [...held][Math.floor(random() * held.size)]!;
        assert.equal(queue.remove(task), true);
        assert.equal(queue.remove(task), false, 'a task is removed once');
        held.delete(task);
      } else {
        const task = queue.pop();
        assert.equal(task, expectedOrder([...held], priority)[0], `step ${step}`);
        if (task !== undefined) held.delete(task);
      }
      assert.equal(queue.size, held.size);
    }
  });
});
