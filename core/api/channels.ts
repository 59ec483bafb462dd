/**
 * The desktop app's channels between its window and its main process, named once: the
 * contract's calls and events, and the four outside the contract — the menu's actions, the
 * system's file picker, and a terminal's request and its byte port.
 */
export const CHANNELS = {
  /** `invoke(method, args)` → the contract's `Result`. */
  call: 'flotilla:call',
  /** Main → window: each `ServiceEvent` (log lines only to the window that follows them). */
  event: 'flotilla:event',
  /** Main → window: a `MenuAction`. */
  menu: 'flotilla:menu',
  /** `invoke('open' | 'save')` → a path chosen in the system's dialog, or undefined. */
  pickFile: 'flotilla:pick-file',
  /** Window → main: the id of a terminal `terminals.open` opened, to be handed its port. */
  terminal: 'flotilla:terminal',
  /** Main → window: the id and, as a transferred port, the terminal's byte channel (core/api/terminal-port.ts). */
  terminalPort: 'flotilla:terminal-port',
} as const;

/** What the desktop app's menu asks of the window. */
export type MenuAction = { action: 'open'; file: string } | { action: 'save' } | { action: 'run' };
