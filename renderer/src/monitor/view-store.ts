/**
 * The monitor's view of a run: which view is shown (graph, table, timeline), which sweeps are
 * drawn expanded, what is selected, and what "Resubmit all failed" would run. A small zustand
 * store beside the run's (run-store.ts).
 */
import { createStore } from 'zustand/vanilla';
import type { StoreApi } from 'zustand/vanilla';

export type MonitorView = 'graph' | 'table' | 'timeline';

export interface MonitorViewState {
  view: MonitorView;
  /** Sweeps (by declared path) drawn one node per instance. */
  expanded: ReadonlySet<string>;
  /** A task id, or a folded sweep's node key. */
  selected: string | null;
  preview: { reruns: string[]; tasks: string[] } | null;
  show(view: MonitorView): void;
  expand(path: string): void;
  select(id: string | null): void;
  setPreview(preview: MonitorViewState['preview']): void;
  /** Another run: nothing selected. */
  reset(): void;
}

export type MonitorViewStore = StoreApi<MonitorViewState>;

export function createMonitorViewStore(): MonitorViewStore {
  return createStore<MonitorViewState>()((set) => ({
    view: 'graph',
    expanded: new Set(),
    selected: null,
    preview: null,
    show: (view) => set({ view }),
    expand: (path) => set((state) => (state.expanded.has(path) ? state : { expanded: new Set([...state.expanded, path]) })),
    select: (selected) => set({ selected }),
    setPreview: (preview) => set({ preview }),
    reset: () => set({ selected: null }),
  }));
}
