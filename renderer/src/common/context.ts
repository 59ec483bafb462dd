import { createContext, useCallback, useContext } from 'react';
import type { FlotillaApi } from '../api.ts';

export const ApiContext = createContext<FlotillaApi | null>(null);

export function useApi(): FlotillaApi {
  const api = useContext(ApiContext);
  if (!api) throw new Error('useApi outside ApiContext');
  return api;
}

/** Short messages for the user (saved, refused connection, errors), shown and dismissed by the app. */
export interface Notice {
  id: number;
  kind: 'info' | 'error';
  text: string;
}

export const NoticeContext = createContext<(kind: Notice['kind'], text: string) => void>(() => {});

export function useNotify(): (kind: Notice['kind'], text: string) => void {
  return useContext(NoticeContext);
}

/**
 * A failed call's error, told to the user (`what` says what did not happen) — unless the core
 * is out of reach, which the connection indicator already shows, and which retries by itself.
 */
export function useReportFailure(): (what: string) => (error: Error & { code?: string }) => void {
  const notify = useNotify();
  return useCallback(
    (what: string) => (error: Error & { code?: string }) => {
      if (error.code !== 'disconnected') notify('error', `${what}: ${error.message}`);
    },
    [notify],
  );
}
