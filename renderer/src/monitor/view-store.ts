/**
 * The monitor's view of a run: which view is shown (graph, table, timeline), which sweeps are
 * drawn expanded and which loop iterations open, what is selected, and what "Resubmit all failed" would run. A small zustand
 * store beside the run's (run-store.ts).
 */
import { createStore } from 'zustand/vanilla';
import type { StoreApi } from 'zustand/vanilla';

export type MonitorView = 'graph' | 'table' | 'timeline';

export interface MonitorViewState {
  view: MonitorView;
  /** Sweeps (by declared path) drawn one node per instance. */
  expanded: ReadonlySet<string>;
  /** Loops (by control id) with one iteration's tasks drawn: that iteration. */
  opened: ReadonlyMap<string, number>;
  /** A task id, or a folded sweep's node key. */
  selected: string | null;
  preview: { reruns: string[]; tasks: string[] } | null;
  show(view: MonitorView): void;
  expand(path: string): void;
  /** Draws one iteration of a loop (null: none, the loop folded again). */
  openIteration(control: string, index: number | null): void;
  select(id: string | null): void;
  setPreview(preview: MonitorViewState['preview']): void;
  /** Another run: nothing selected, no iteration open. */
  reset(): void;
}

export type MonitorViewStore = StoreApi<MonitorViewState>;

export function createMonitorViewStore(): MonitorViewStore {
  return createStore<MonitorViewState>()((set) => ({
    view: 'graph',
    expanded: new Set(),
    opened: new Map(),
    selected: null,
    preview: null,
    show: (view) => set({ view }),
    expand: (path) => set((state) => (state.expanded.has(path) ? state : { expanded: new Set([...state.expanded, path]) })),
    openIteration: (control, index) =>
      set((state) => {
        if ((state.opened.get(control) ?? null) === index) return state;
        const opened = new Map(state.opened);
        if (index === null) opened.delete(control);
        else opened.set(control, index);
        return { opened };
      }),
    select: (selected) => set({ selected }),
    setPreview: (preview) => set({ preview }),
    reset: () => set({ selected: null, opened: new Map() }),
  }));
}
