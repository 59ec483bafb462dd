/**
 * The editor's state that is not the document: which file is open (and at which version of
 * it on disk), the problems the core found, what is selected, which groups are folded, which
 * dialog is open, whether a save is under way. A zustand store beside the document's
 * (history.ts): components read the slice they show, nodes included, so node data carries no
 * callbacks; tested without a browser (test/renderer/view-store.test.ts).
 */
import { createStore } from 'zustand/vanilla';
import type { StoreApi } from 'zustand/vanilla';
import type { GitSaving, TaskState, WorkflowIssue } from '../../../core/api/types.ts';

/** The file the document was read from; `unparsable`: its text, when it does not parse (then it is never written). */
export interface OpenedFile {
  file: string;
  version: string | null;
  unparsable?: string;
  /** Its git repository, and whether saves are committed to it. */
  git?: GitSaving;
}

export interface EditorViewState {
  opened: OpenedFile | null;
  issues: WorkflowIssue[];
  selected: string | null;
  collapsed: ReadonlySet<string>;
  showOpen: boolean;
  busy: boolean;
  /** Fit the view to a file's nodes when it opens (not when the first node of an empty file lands). */
  fitOnOpen: boolean;
  /** Bumped to read the file again from disk (after discarding edits). */
  reloads: number;
  /** The group a dragged node would be dropped into. */
  dropTarget: string | null;
  /** The open file's latest run: its id and how each declared path fared in it (a sweep's instances as one). */
  lastRun: { id: string; states: Record<string, TaskState> } | null;
  setLastRun(lastRun: EditorViewState['lastRun']): void;
  /** A file read: nothing selected, the dialog closed. */
  open(opened: OpenedFile, issues: WorkflowIssue[], fit: boolean): void;
  saved(opened: OpenedFile, issues: WorkflowIssue[]): void;
  setIssues(issues: WorkflowIssue[]): void;
  select(path: string | null): void;
  /** Selection as React Flow reports it: a node selected, or the selected one unselected. */
  selectionChanged(path: string, selected: boolean): void;
  toggle(path: string): void;
  setShowOpen(show: boolean): void;
  setBusy(busy: boolean): void;
  reload(): void;
  setDropTarget(path: string | null): void;
}

export type EditorViewStore = StoreApi<EditorViewState>;

export function createEditorViewStore(): EditorViewStore {
  return createStore<EditorViewState>()((set) => ({
    opened: null,
    issues: [],
    selected: null,
    collapsed: new Set(),
    showOpen: false,
    busy: false,
    fitOnOpen: false,
    reloads: 0,
    dropTarget: null,
    lastRun: null,
    setLastRun: (lastRun) => set({ lastRun }),
    open: (opened, issues, fit) => set({ opened, issues, fitOnOpen: fit, selected: null, showOpen: false, lastRun: null }),
    saved: (opened, issues) => set({ opened, issues }),
    setIssues: (issues) => set({ issues }),
    select: (selected) => set({ selected }),
    selectionChanged: (path, selected) => set((state) => ({ selected: selected ? path : state.selected === path ? null : state.selected })),
    toggle: (path) =>
      set((state) => {
        const collapsed = new Set(state.collapsed);
        if (collapsed.has(path)) collapsed.delete(path);
        else collapsed.add(path);
        return { collapsed };
      }),
    setShowOpen: (showOpen) => set({ showOpen }),
    setBusy: (busy) => set({ busy }),
    reload: () => set((state) => ({ reloads: state.reloads + 1 })),
    setDropTarget: (dropTarget) => set((state) => (state.dropTarget === dropTarget ? state : { dropTarget })),
  }));
}
