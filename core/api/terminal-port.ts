/**
 * A terminal session carried over a message channel (a WebSocket in web mode, a
 * MessagePort in the desktop app) with flow control: the viewer acknowledges the characters
 * it has drawn, and the shell is paused while too many are unacknowledged, so `cat` of a huge
 * file cannot flood the channel or the viewer's memory.
 *
 * Messages from the viewer (JSON): `{ input }`, `{ resize: [cols, rows] }`, `{ ack: n }`.
 * To the viewer: `{ output }` and, once, `{ exit: { code, signal } }`.
 */
import type { TerminalSession } from '../terminals/terminals.ts';

export interface TerminalPortOptions {
  /** Unacknowledged characters at which the shell is paused. */
  high?: number;
  /** …and below which it resumes. */
  low?: number;
}

export type ViewerMessage = { input: string } | { resize: [number, number] } | { ack: number };

/** Wires a session to `send`; returns the handler for the viewer's messages and a closer. */
export function bridgeTerminal(session: TerminalSession, send: (message: string) => void, options: TerminalPortOptions = {}): { receive(raw: string): void; close(): void } {
  const high = options.high ?? 256 * 1024;
  const low = options.low ?? 32 * 1024;
  let unacknowledged = 0;
  let paused = false;
  const offData = session.onData((output) => {
    send(JSON.stringify({ output }));
    unacknowledged += output.length;
    if (!paused && unacknowledged > high) {
      paused = true;
      session.pause();
    }
  });
  const offExit = session.onExit((exit) => send(JSON.stringify({ exit })));
  return {
    receive(raw) {
      let message: Partial<{ input: unknown; resize: unknown; ack: unknown }>;
      try {
        message = JSON.parse(raw) as typeof message;
      } catch {
        return;
      }
      if (typeof message.input === 'string') session.write(message.input);
      else if (Array.isArray(message.resize) && message.resize.length === 2 && message.resize.every((n) => Number.isInteger(n) && n > 0 && n < 10_000)) {
        session.resize(message.resize[0] as number, message.resize[1] as number);
      } else if (typeof message.ack === 'number' && Number.isFinite(message.ack) && message.ack > 0) {
        unacknowledged = Math.max(0, unacknowledged - message.ack);
        if (paused && unacknowledged < low) {
          paused = false;
          session.resume();
        }
      }
    },
    close() {
      offData();
      offExit();
      session.kill();
    },
  };
}
