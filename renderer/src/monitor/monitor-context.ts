/** The open run's two stores (its live state and the view of it), shared by the monitor's parts. */
import { createContext, useContext } from 'react';
import { useStore } from 'zustand';
import type { RunState, RunStore } from './run-store.ts';
import type { MonitorViewState, MonitorViewStore } from './view-store.ts';

export interface MonitorStores {
  run: RunStore;
  view: MonitorViewStore;
}

export const MonitorContext = createContext<MonitorStores | null>(null);

export function useMonitorStores(): MonitorStores {
  const stores = useContext(MonitorContext);
  if (!stores) throw new Error('a monitor component outside the monitor');
  return stores;
}

export function useRun<T>(selector: (state: RunState) => T): T {
  return useStore(useMonitorStores().run, selector);
}

export function useMonitorView<T>(selector: (state: MonitorViewState) => T): T {
  return useStore(useMonitorStores().view, selector);
}
