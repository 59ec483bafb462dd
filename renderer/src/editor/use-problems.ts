import { useEffect, useMemo } from 'react';
import { request } from '../api.ts';
import { useApi, useReportFailure } from '../common/context.ts';
import { useDocument, useEditorStores, useGraph, useView } from './editor-context.ts';
import { nodeOfIssue } from './model.ts';

export interface Problems {
  /** By the node they are about. */
  byNode: ReadonlyMap<string, string[]>;
  /** About the file, or about nothing drawn. */
  general: string[];
}

/** The open file's problems: checked by the core a moment after each edit, and sorted by node. */
export function useProblems(): Problems {
  const api = useApi();
  const report = useReportFailure();
  const { view } = useEditorStores();
  const value = useDocument((state) => state.doc.value);
  const dirty = useDocument((state) => state.dirty);
  const opened = useView((state) => state.opened);
  const issues = useView((state) => state.issues);
  const graph = useGraph();

  useEffect(() => {
    if (!opened || !dirty) return;
    const timer = setTimeout(() => {
      request(api, 'workflows.check', { file: opened.file, value })
        .then((result) => view.getState().setIssues(result.issues))
        .catch(report('The edits could not be checked'));
    }, 350);
    return () => clearTimeout(timer);
  }, [api, value, dirty, opened, report, view]);

  return useMemo(() => {
    const byNode = new Map<string, string[]>();
    const general: string[] = [];
    for (const issue of issues) {
      const path = nodeOfIssue(issue.path);
      const message = issue.line ? `line ${issue.line}: ${issue.message}` : issue.message;
      if (path === null || !graph.byPath.has(path)) general.push(message);
      else byNode.set(path, [...(byNode.get(path) ?? []), message]);
    }
    return { byNode, general };
  }, [graph, issues]);
}
