/**
 * The open editor's two stores (the document with its history, and the view), shared with
 * every component of the editor, the canvas's nodes included, through one context.
 */
import { createContext, useContext } from 'react';
import { useStore } from 'zustand';
import type { DocumentState, DocumentStore } from './history.ts';
import { buildGraph } from './model.ts';
import type { Graph, Mapping } from './model.ts';
import type { EditorViewState, EditorViewStore } from './view-store.ts';

export interface EditorStores {
  doc: DocumentStore;
  view: EditorViewStore;
}

export const EditorContext = createContext<EditorStores | null>(null);

export function useEditorStores(): EditorStores {
  const stores = useContext(EditorContext);
  if (!stores) throw new Error('an editor component outside the editor');
  return stores;
}

export function useDocument<T>(selector: (state: DocumentState) => T): T {
  return useStore(useEditorStores().doc, selector);
}

export function useView<T>(selector: (state: EditorViewState) => T): T {
  return useStore(useEditorStores().view, selector);
}

// Every value is a new object after an edit (model.ts), so one graph per value serves every
// component that needs it, built once.
const graphs = new WeakMap<Mapping, Graph>();

/** The graph of a document's value. */
export function graphOf(value: Mapping): Graph {
  let graph = graphs.get(value);
  if (!graph) graphs.set(value, (graph = buildGraph(value)));
  return graph;
}

/** The open document's graph. */
export function useGraph(): Graph {
  return graphOf(useDocument((state) => state.doc.value));
}

/** What an empty or new file holds. */
export const EMPTY_WORKFLOW: Mapping = { version: 1, name: 'new-workflow', tasks: {} };
