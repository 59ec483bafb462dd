/**
 * A binary max-heap of task indices by priority (ties: lower index first, i.e. declaration
 * order), so the scheduler starts the task with the longest remaining path next (and the
 * forecast, core/model/forecast.ts, schedules on paper as it would).
 */
export class PriorityQueue {
  private readonly items: number[] = [];
  private readonly priority: readonly number[];

  constructor(priority: readonly number[]) {
    this.priority = priority;
  }

  get size(): number {
    return this.items.length;
  }

  push(task: number): void {
    // The new task sifts up through a hole: each parent it passes moves down once.
    const items = this.items;
    let i = items.length;
    items.push(task);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(task, items[parent]!)) break;
      items[i] = items[parent]!;
      i = parent;
    }
    items[i] = task;
  }

  /** The next task out, left in. */
  peek(): number | undefined {
    return this.items[0];
  }

  pop(): number | undefined {
    const items = this.items;
    if (items.length === 0) return undefined;
    const top = items[0]!;
    const last = items.pop()!;
    const size = items.length;
    if (size === 0) return top;
    // The last task sifts down from the root through a hole.
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= size) break;
      const right = left + 1;
      const child = right < size && this.before(items[right]!, items[left]!) ? right : left;
      if (!this.before(items[child]!, last)) break;
      items[i] = items[child]!;
      i = child;
    }
    items[i] = last;
    return top;
  }

  /** Removes a task if queued (cancel); O(n), rare. */
  remove(task: number): boolean {
    const index = this.items.indexOf(task);
    if (index < 0) return false;
    const rest = this.items.splice(index);
    rest.shift();
    for (const item of rest) this.push(item);
    return true;
  }

  private before(a: number, b: number): boolean {
    const pa = this.priority[a]!;
    const pb = this.priority[b]!;
    return pa > pb || (pa === pb && a < b);
  }
}
