import { useDocument, useEditorStores, useGraph, useView } from './editor-context.ts';
import type { Layout } from './history.ts';
import { Inspector } from './Inspector.tsx';
import { GitSetting } from './GitSetting.tsx';
import { useAdvice } from './use-advice.ts';
import { afterList, disconnect, isMapping, nameProblem, removeNode, renameNode, resolve, updateNode, within } from './model.ts';
import type { Mapping } from './model.ts';
import type { Problems } from './use-problems.ts';
import { WorkflowInspector } from './WorkflowInspector.tsx';

/** The selected node's inspector, or the workflow's when nothing is selected; none for a file that does not parse. */
export function InspectorPane({ problems }: { problems: Problems }) {
  const { doc, view } = useEditorStores();
  const graph = useGraph();
  const value = useDocument((state) => state.doc.value);
  const edit = useDocument((state) => state.edit);
  const selected = useView((state) => state.selected);
  const readOnly = useView((state) => state.opened?.unparsable !== undefined);
  const advice = useAdvice();
  if (readOnly) return null;
  const node = selected ? graph.byPath.get(selected) : undefined;
  if (!node) return <WorkflowInspector value={value} problems={problems.general} onPatch={(patch) => edit((current) => patchWorkflow(current, patch))} git={<GitSetting />} />;
  const rename = (name: string): string | undefined => {
    const { doc: current, change } = doc.getState();
    const problem = nameProblem(current.value, node.parent, name, node.name);
    if (problem) return problem;
    const renamed = node.parent === null ? name : `${node.parent}/${name}`;
    // Boxes placed by hand follow the node (and what it holds) to its new path.
    const layout: Layout = {};
    for (const [path, position] of Object.entries(current.layout)) layout[within(path, node.path) ? renamed + path.slice(node.path.length) : path] = position;
    change({ value: renameNode(current.value, node.path, name), layout });
    view.getState().select(renamed);
    return undefined;
  };
  return (
    <Inspector
      key={node.path}
      node={node}
      targets={isMapping(value.targets) ? Object.keys(value.targets) : []}
      problems={problems.byNode.get(node.path) ?? []}
      advice={advice.get(node.path)}
      after={afterList(node.raw).map((entry) => ({ entry, source: resolve(graph.byPath, node.path, entry) }))}
      onRename={rename}
      onPatch={(patch) => edit((current) => updateNode(current, node.path, patch))}
      onRemoveAfter={(entry) => edit((current) => disconnect(current, node.path, entry))}
      onDelete={() => {
        edit((current) => removeNode(current, node.path));
        view.getState().select(null);
      }}
    />
  );
}

/** The file's top level with a patch applied (undefined removes a key). */
function patchWorkflow(value: Mapping, patch: Mapping): Mapping {
  const next: Mapping = { ...value };
  for (const [key, entry] of Object.entries(patch)) {
    if (entry === undefined) delete next[key];
    else next[key] = entry;
  }
  return next;
}
