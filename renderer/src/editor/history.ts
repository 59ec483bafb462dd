/**
 * The open document and its history, outside React: the workflow's value and the boxes placed
 * by hand (one `Snapshot`), the snapshots before it (undo) and after it (redo), and whether it
 * differs from the file on disk. Every edit replaces the whole snapshot (the model's edits
 * return new values), so undo and redo restore a document exactly as it was — every key, in
 * its order — and a deletion that took dependencies along is undone with them.
 *
 * A zustand store (as xyflow keeps its own state): the editor subscribes to it, and the tests
 * drive it without a browser (test/renderer/history.test.ts).
 */
import { createStore } from 'zustand/vanilla';
import type { StoreApi } from 'zustand/vanilla';
import type { Mapping } from './model.ts';

import type { Layout } from '../../../core/api/types.ts';

export type { Layout };

export interface Snapshot {
  value: Mapping;
  layout: Layout;
}

/** Undo steps kept. */
export const HISTORY_LIMIT = 200;

export interface DocumentState {
  doc: Snapshot;
  past: Snapshot[];
  future: Snapshot[];
  /** Edited since it was read or saved. */
  dirty: boolean;
  /** A document read from disk (or a kept draft of it, with its history and `dirty`). */
  load(doc: Snapshot, history?: { past: Snapshot[]; future: Snapshot[]; dirty: boolean }): void;
  /** One edit: the next snapshot. The redo steps are dropped. */
  change(next: Snapshot): void;
  /** One edit of the value and (optionally) the layout, from the current snapshot. */
  edit(value: (value: Mapping) => Mapping, layout?: (layout: Layout) => Layout): void;
  undo(): void;
  redo(): void;
  /** The document is what the file on disk now holds. */
  saved(): void;
}

export type DocumentStore = StoreApi<DocumentState>;

export function createDocumentStore(doc: Snapshot): DocumentStore {
  return createStore<DocumentState>()((set, get) => ({
    doc,
    past: [],
    future: [],
    dirty: false,
    load: (next, history) => set({ doc: next, past: history?.past ?? [], future: history?.future ?? [], dirty: history?.dirty ?? false }),
    change: (next) => {
      const { doc: current, past } = get();
      if (next === current) return;
      set({ doc: next, past: [...past.slice(-(HISTORY_LIMIT - 1)), current], future: [], dirty: true });
    },
    edit: (value, layout) => {
      const { doc: current } = get();
      get().change({ value: value(current.value), layout: layout ? layout(current.layout) : current.layout });
    },
    undo: () => {
      const { doc: current, past, future } = get();
      if (past.length === 0) return;
      set({ doc: past.at(-1)!, past: past.slice(0, -1), future: [current, ...future], dirty: true });
    },
    redo: () => {
      const { doc: current, past, future } = get();
      if (future.length === 0) return;
      set({ doc: future[0]!, past: [...past, current], future: future.slice(1), dirty: true });
    },
    saved: () => set({ dirty: false }),
  }));
}
