/**
 * The terminal has one writer at a time: while a question (a host key, a password, a one-time
 * code) waits for its answer, it owns the screen, and the live view neither redraws nor
 * clears — it would draw over the question, or wipe it.
 */
type Listener = (asking: boolean) => void;

const listeners = new Set<Listener>();
let open = 0;

/** Calls `listener(true)` when a question opens and `listener(false)` when the last one closes; returns the unsubscribe. */
export function onQuestion(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** The questions asked or waiting: one at a time (two hosts asking at once would mix their lines). */
let turn: Promise<unknown> = Promise.resolve();

/**
 * Runs `ask` with the screen held for it, once the questions before it are answered. Not
 * re-entrant: `ask` must not call it again (it would wait for itself).
 */
export function whileAsking<T>(ask: () => Promise<T>): Promise<T> {
  const mine = turn.then(async () => {
    if (open++ === 0) for (const listener of listeners) listener(true);
    try {
      return await ask();
    } finally {
      if (--open === 0) for (const listener of listeners) listener(false);
    }
  });
  turn = mine.catch(() => undefined);
  return mine;
}
