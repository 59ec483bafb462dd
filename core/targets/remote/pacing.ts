/**
 * When a remote target submits and polls: a submission of what is pending right after the
 * current turn (one at a time; what comes meanwhile goes in the next), a retry of it shortly
 * when the host is online but not ready, and one poll at a time — now when asked, else after
 * the interval times the back-off (a scheduler that answers slowly or refuses is asked less
 * often). An unexpected error of either is kept (`lastError`), not thrown: the run goes on.
 */

/** Polls back off to this many times the interval while the scheduler answers slowly or refuses. */
export const MAX_BACKOFF = 8;
/** A scheduler answer slower than this counts as slow. */
export const SLOW_MS = 5_000;
/** A submission retried while the host is online but not ready. */
const RETRY_MS = 2_000;

export class Pacing {
  private readonly flush: () => Promise<void>;
  private readonly poll: () => Promise<void>;
  /** Whether attempts are still open (polls go on only while some are). */
  private readonly busy: () => boolean;
  private readonly pollMs: number;
  private backoff = 1;
  private flushTimer: NodeJS.Immediate | undefined;
  private flushing: Promise<void> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private pollAgain = false;
  private stopped = false;
  lastError: unknown;

  constructor(pollMs: number, work: { flush: () => Promise<void>; poll: () => Promise<void>; busy: () => boolean }) {
    this.pollMs = pollMs;
    this.flush = work.flush;
    this.poll = work.poll;
    this.busy = work.busy;
  }

  /** Submits what is pending after the current turn (after the submission under way, if one is). */
  flushSoon(): void {
    if (this.stopped || this.flushTimer) return;
    this.flushTimer = setImmediate(() => {
      this.flushTimer = undefined;
      if (this.flushing) {
        void this.flushing.then(() => this.flushSoon());
        return;
      }
      this.flushing = this.flush()
        .catch((error: unknown) => {
          this.lastError = error;
        })
        .finally(() => (this.flushing = undefined));
    });
  }

  /** Submits again in a moment (the host is online but could not take it now). */
  retryFlush(): void {
    if (this.stopped || this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.flushSoon();
    }, RETRY_MS);
  }

  /** Polls after `delay` (0: now, or right after the poll under way); a later poll already due stands. */
  pollIn(delay: number): void {
    if (this.stopped) return;
    if (this.polling) {
      if (delay === 0) this.pollAgain = true;
      return;
    }
    if (delay > 0 && this.pollTimer) return;
    clearTimeout(this.pollTimer);
    this.pollTimer = setTimeout(() => {
      this.pollTimer = undefined;
      this.polling = this.poll()
        .catch((error: unknown) => {
          this.lastError = error;
        })
        .finally(() => {
          this.polling = undefined;
          const again = this.pollAgain;
          this.pollAgain = false;
          if (this.busy()) this.pollIn(again ? 0 : this.pollMs * this.backoff);
        });
    }, delay);
  }

  /** Polls after the plain interval (a submission went out). */
  pollLater(): void {
    this.pollIn(this.pollMs);
  }

  /** How the scheduler answered a poll: an error or a slow answer backs off, a good one resets. */
  answered(slowOrRefused: boolean): void {
    this.backoff = slowOrRefused ? Math.min(MAX_BACKOFF, this.backoff * 2) : 1;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.pollTimer);
    clearTimeout(this.retryTimer);
    if (this.flushTimer) clearImmediate(this.flushTimer);
  }
}
