/**
 * The renderer's one door to the core: the contract of core/api/contract.ts, over the
 * desktop app's preload bridge when there is one, else over web mode's WebSocket.
 */
import type { MethodArgs, MethodName, MethodResult } from '../../core/api/contract.ts';
import type { ApiError, Result, ServiceEvent } from '../../core/api/types.ts';
import type { MenuAction } from '../../core/api/channels.ts';

export type { ApiError };

/** A terminal's byte channel (messages of core/api/terminal-port.ts). */
export interface TerminalChannel {
  send(message: string): void;
  onMessage(listener: (message: string) => void): void;
  onClose(listener: () => void): void;
  close(): void;
}

export interface FlotillaApi {
  readonly mode: 'desktop' | 'web';
  call<M extends MethodName>(method: M, args: MethodArgs<M>): Promise<Result<MethodResult<M>>>;
  onEvent(listener: (event: ServiceEvent) => void): () => void;
  /** Whether the core is reachable (web mode: the socket is open). */
  onConnection(listener: (connected: boolean) => void): () => void;
  terminal(id: string): TerminalChannel;
  /** The application menu's actions (desktop app only). */
  onMenu(listener: (action: MenuAction) => void): () => void;
  /** A native file chooser (desktop app only; web mode asks for a path). */
  pickFile?: (mode: 'open' | 'save') => Promise<string | undefined>;
}


/** What electron/preload exposes on `window.flotilla`. */
export interface DesktopBridge {
  call(method: string, args: unknown): Promise<Result<unknown>>;
  onEvent(listener: (event: unknown) => void): () => void;
  terminal(id: string): { send(message: string): void; onMessage(listener: (message: string) => void): void; onClose(listener: () => void): void; close(): void };
  onMenu(listener: (action: unknown) => void): () => void;
  pickFile(mode: 'open' | 'save'): Promise<string | undefined>;
}

declare global {
  interface Window {
    flotilla?: DesktopBridge;
  }
}

/** Calls a method and returns its value, or throws an error carrying the contract's code. */
export async function request<M extends MethodName>(api: FlotillaApi, method: M, args: MethodArgs<M>): Promise<MethodResult<M>> {
  const result = await api.call(method, args);
  if (!result.ok) throw Object.assign(new Error(result.error.message), { code: result.error.code, issues: result.error.issues });
  return result.value;
}

function desktopApi(bridge: DesktopBridge): FlotillaApi {
  return {
    mode: 'desktop',
    // (The wire carries what the core's handlers answer, which are checked against the contract's types.)
    call: <M extends MethodName>(method: M, args: MethodArgs<M>) => bridge.call(method, args) as Promise<Result<MethodResult<M>>>,
    onEvent: (listener) => bridge.onEvent((event) => listener(event as ServiceEvent)),
    onConnection: (listener) => {
      listener(true);
      return () => {};
    },
    terminal: (id) => bridge.terminal(id),
    onMenu: (listener) => bridge.onMenu((action) => listener(action as MenuAction)),
    pickFile: (mode) => bridge.pickFile(mode),
  };
}

function webApi(): FlotillaApi {
  const params = new URLSearchParams(location.search);
  const given = params.get('token');
  if (given) {
    sessionStorage.setItem('flotilla-token', given);
    // Off the address bar (and out of screenshots); the session keeps it.
    params.delete('token');
    history.replaceState(null, '', `${location.pathname}${params.size > 0 ? `?${params}` : ''}${location.hash}`);
  }
  const token = given ?? sessionStorage.getItem('flotilla-token') ?? '';
  const base = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}`;
  const pending = new Map<number, (result: Result<unknown>) => void>();
  const listeners = new Set<(event: ServiceEvent) => void>();
  const connectionListeners = new Set<(connected: boolean) => void>();
  let socket: WebSocket | undefined;
  let connected = false;
  let nextId = 1;
  let opened: Promise<WebSocket> | undefined;

  const setConnected = (value: boolean) => {
    connected = value;
    for (const listener of connectionListeners) listener(value);
  };

  const connect = (): Promise<WebSocket> => {
    if (opened) return opened;
    opened = new Promise((resolve) => {
      const ws = new WebSocket(`${base}/api?token=${encodeURIComponent(token)}`);
      ws.onopen = () => {
        socket = ws;
        setConnected(true);
        resolve(ws);
      };
      ws.onmessage = (message) => {
        const data = JSON.parse(String(message.data)) as { id?: number; result?: Result<unknown>; event?: ServiceEvent };
        if (data.event) for (const listener of listeners) listener(data.event);
        else if (typeof data.id === 'number') {
          pending.get(data.id)?.(data.result!);
          pending.delete(data.id);
        }
      };
      ws.onclose = () => {
        socket = undefined;
        opened = undefined;
        if (connected) setConnected(false);
        for (const settle of pending.values()) settle({ ok: false, error: { code: 'disconnected', message: 'lost the connection to the Flotilla core' } });
        pending.clear();
        // Try again: the core may have been restarted on the same port.
        setTimeout(() => void connect().then((again) => again), 1000);
      };
    });
    return opened;
  };
  void connect();

  return {
    mode: 'web',
    async call<M extends MethodName>(method: M, args: MethodArgs<M>): Promise<Result<MethodResult<M>>> {
      const ws = socket ?? (await connect());
      const id = nextId++;
      return new Promise((resolve) => {
        pending.set(id, resolve as (result: Result<unknown>) => void);
        ws.send(JSON.stringify({ id, method, args }));
      });
    },
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    onConnection(listener) {
      connectionListeners.add(listener);
      listener(connected);
      return () => connectionListeners.delete(listener);
    },
    onMenu: () => () => {},
    terminal(id) {
      const ws = new WebSocket(`${base}/terminal?id=${encodeURIComponent(id)}&token=${encodeURIComponent(token)}`);
      const queue: string[] = [];
      ws.onopen = () => {
        for (const message of queue.splice(0)) ws.send(message);
      };
      return {
        send: (message) => (ws.readyState === WebSocket.OPEN ? ws.send(message) : queue.push(message)),
        onMessage: (listener) => ws.addEventListener('message', (message) => listener(String(message.data))),
        onClose: (listener) => ws.addEventListener('close', () => listener()),
        close: () => ws.close(),
      };
    },
  };
}

export function createApi(): FlotillaApi {
  return window.flotilla ? desktopApi(window.flotilla) : webApi();
}
