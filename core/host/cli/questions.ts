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

/** Runs `ask` with the screen held for it. */
export async function whileAsking<T>(ask: () => Promise<T>): Promise<T> {
  if (open++ === 0) for (const listener of listeners) listener(true);
  try {
    return await ask();
  } finally {
    if (--open === 0) for (const listener of listeners) listener(false);
  }
}
