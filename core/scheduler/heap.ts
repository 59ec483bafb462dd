/**
 * A binary max-heap of task indices by priority (ties: lower index first, i.e. declaration
 * order), so the scheduler starts the task with the longest remaining path next.
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
    const items = this.items;
    items.push(task);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(items[i]!, items[parent]!)) break;
      [items[i], items[parent]] = [items[parent]!, items[i]!];
      i = parent;
    }
  }

  pop(): number | undefined {
    const items = this.items;
    if (items.length === 0) return undefined;
    const top = items[0]!;
    const last = items.pop()!;
    if (items.length > 0) {
      items[0] = last;
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        const right = left + 1;
        let best = i;
        if (left < items.length && this.before(items[left]!, items[best]!)) best = left;
        if (right < items.length && this.before(items[right]!, items[best]!)) best = right;
        if (best === i) break;
        [items[i], items[best]] = [items[best]!, items[i]!];
        i = best;
      }
    }
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
