/**
 * The monitor's view of a run: which view is shown (graph, table, timeline), which sweeps are
 * drawn expanded and which loop iterations open, what is selected, and what "Resubmit all failed" would run. A small zustand
 * store beside the run's (run-store.ts).
 */
import { createStore } from 'zustand/vanilla';
import type { TaskState } from '../../../core/api/types.ts';
import type { LogPlace } from '../route.ts';
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
  /** The table's state filter ('' for all). */
  filter: TaskState | '';
  /** A node (key) the graph is to bring into view, and a count that moves each time it is asked (the same node twice). */
  focus: { key: string; seq: number } | null;
  /** A log line a link opened: its task is selected, its stream shown at that line. */
  logAt: LogPlace | null;
  show(view: MonitorView): void;
  openLog(at: LogPlace): void;
  setFilter(filter: TaskState | ''): void;
  /** Selects a task and brings its node into view. */
  reveal(task: string, key: string): void;
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
    filter: '',
    focus: null,
    logAt: null,
    openLog: (logAt) => set({ logAt, selected: logAt.task }),
    show: (view) => set({ view }),
    setFilter: (filter) => set({ filter }),
    reveal: (task, key) => set((state) => ({ selected: task, focus: { key, seq: (state.focus?.seq ?? 0) + 1 } })),
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
    reset: () => set({ selected: null, opened: new Map(), filter: '', focus: null, logAt: null }),
  }));
}
