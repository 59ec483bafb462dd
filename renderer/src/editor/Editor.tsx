import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { applyNodeChanges, Background, Controls, MiniMap, ReactFlow, ReactFlowProvider, useReactFlow } from '@xyflow/react';
import { useStore } from 'zustand';
import type { Connection, Edge, Node, NodeChange } from '@xyflow/react';
import { request } from '../api.ts';
import { useApi, useNotify, useReportFailure } from '../common/context.ts';
import { NODE_HEIGHT, NODE_WIDTH } from '../common/layout.ts';
import type { WorkflowIssue } from '../../../core/api/types.ts';
import { createDocumentStore } from './history.ts';
import type { Layout, Snapshot } from './history.ts';
import { Inspector, WorkflowInspector } from './Inspector.tsx';
import { addNode, afterList, buildGraph, checkConnection, connect, deleteElements, disconnect, isMapping, moveNode, nameProblem, nodeOfIssue, parentOf, removeNode, renameNode, resolve, updateNode, within } from './model.ts';
import type { Mapping } from './model.ts';
import { flowEdges, flowNodes, hiddenUnder, placeBoxes } from './flow.ts';
import { nodeTypes } from './nodes.tsx';
import type { EditorNodeData } from './nodes.tsx';
import { OpenDialog } from './OpenDialog.tsx';
import { UnparsableText } from './UnparsableText.tsx';
import { dropDraft, readDraft, useDraft } from './use-draft.ts';

const EMPTY: Mapping = { version: 1, name: 'new-workflow', tasks: {} };

export interface EditorProps {
  file: string | undefined;
  /** The run this file was opened from, to go back to. */
  from?: string | undefined;
  onFile: (file: string) => void;
  onRun: (run: string) => void;
}

export function Editor(props: EditorProps) {
  return (
    <ReactFlowProvider>
      <EditorInner {...props} />
    </ReactFlowProvider>
  );
}

function EditorInner({ file, from, onFile, onRun }: EditorProps) {
  const api = useApi();
  const report = useReportFailure();
  const notify = useNotify();
  const flow = useReactFlow();
  // The document and its undo history (history.ts); its actions never change.
  const [store] = useState(() => createDocumentStore({ value: EMPTY, layout: {} }));
  const doc = useStore(store, (state) => state.doc);
  const past = useStore(store, (state) => state.past);
  const future = useStore(store, (state) => state.future);
  const dirty = useStore(store, (state) => state.dirty);
  const { change, edit, undo, redo } = store.getState();
  const [opened, setOpened] = useState<{ file: string; version: string | null; unparsable?: string } | null>(null);
  const [issues, setIssues] = useState<WorkflowIssue[]>([]);
  const [selected, setSelected] = useState<string | null>(null);
  const [collapsed, setCollapsed] = useState<Set<string>>(new Set());
  const [showOpen, setShowOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  /** Fit the view to a file's nodes when it opens (not when the first node of an empty file lands). */
  const [fitOnOpen, setFitOnOpen] = useState(false);
  /** Bumped to read the file again from disk (after discarding edits). */
  const [reloads, setReloads] = useState(0);
  const wrapper = useRef<HTMLDivElement>(null);
  const onFileRef = useRef(onFile);
  useEffect(() => {
    onFileRef.current = onFile;
  }, [onFile]);

  // Opening: the file in the address, else the dialog.
  useEffect(() => {
    if (!file) {
      setShowOpen(true);
      return;
    }
    let live = true;
    request(api, 'workflows.open', { file })
      .then((result) => {
        if (!live) return;
        // Unsaved edits of this file from before a switch of views or a reload come back.
        const draft = result.value ? readDraft<Snapshot>(result.file) : undefined;
        setOpened({ file: result.file, version: draft ? draft.version : result.version, ...(result.value ? {} : { unparsable: result.text }) });
        store.getState().load(draft?.doc ?? { value: result.value ?? EMPTY, layout: result.layout }, draft ? { past: draft.past, future: draft.future, dirty: true } : undefined);
        setFitOnOpen(buildGraph(draft?.doc.value ?? result.value ?? EMPTY).nodes.length > 0);
        if (draft && draft.version !== result.version) notify('error', `${result.file} changed on disk since your unsaved edits were made: they are kept, but saving them will be refused; copy what you need, then Discard edits to start from what is on disk`);
        setIssues(result.issues);
        setSelected(null);
        setShowOpen(false);
        if (result.file !== file) onFileRef.current(result.file);
      })
      .catch((error: Error) => {
        if (!live) return;
        notify('error', error.message);
        setShowOpen(true);
      });
    return () => {
      live = false;
    };
  }, [api, file, notify, reloads, store]);

  const graph = useMemo(() => buildGraph(doc.value), [doc.value]);
  const draft = useMemo(() => ({ version: opened?.version ?? null, doc, past, future }), [opened?.version, doc, past, future]);
  useDraft(opened?.unparsable === undefined ? opened?.file : undefined, dirty, draft);
  /** A file that did not parse is shown, never written: nothing here was read from it. */
  const readOnly = opened?.unparsable !== undefined;

  // Problems: checked by the core a moment after each edit.
  useEffect(() => {
    if (!opened || !dirty) return;
    const timer = setTimeout(() => {
      request(api, 'workflows.check', { file: opened.file, value: doc.value })
        .then((result) => setIssues(result.issues))
        .catch(report('The edits could not be checked'));
    }, 350);
    return () => clearTimeout(timer);
  }, [api, doc.value, dirty, opened, report]);

  const problems = useMemo(() => {
    const byNode = new Map<string, string[]>();
    const general: string[] = [];
    const add = (path: string | null, message: string) => {
      if (path === null || !graph.byPath.has(path)) general.push(message);
      else byNode.set(path, [...(byNode.get(path) ?? []), message]);
    };
    for (const issue of issues) add(nodeOfIssue(issue.path), issue.line ? `line ${issue.line}: ${issue.message}` : issue.message);
    return { byNode, general };
  }, [graph, issues]);

  // Node boxes: automatic layout, with what the user placed by hand kept.
  // What React Flow draws (flow.ts): boxes laid out with what was placed by hand, folded groups.
  const boxes = useMemo(() => placeBoxes(graph, doc.layout, collapsed), [graph, doc.layout, collapsed]);
  const hiddenBy = useCallback((path: string) => hiddenUnder(path, collapsed), [collapsed]);

  const toggle = useCallback((path: string) => {
    setCollapsed((current) => {
      const next = new Set(current);
      if (next.has(path)) next.delete(path);
      else next.add(path);
      return next;
    });
  }, []);

  const built = useMemo(() => flowNodes(graph, boxes, collapsed, problems.byNode, toggle), [graph, boxes, collapsed, problems, toggle]);

  const [nodes, setNodes] = useState<Node<EditorNodeData>[]>([]);
  useEffect(() => {
    setNodes((previous) => {
      const old = new Map(previous.map((node) => [node.id, node]));
      return built.map((node) => {
        const before = old.get(node.id);
        return { ...node, selected: node.id === selected, ...(before?.measured ? { measured: before.measured } : {}) };
      });
    });
  }, [built, selected]);

  const edges = useMemo(() => flowEdges(graph, collapsed), [graph, collapsed]);

  // A deletion is one edit, nodes and edges together (`onDelete`): as two, undo would bring a
  // node back without the dependencies its removal took along.
  const onDelete = useCallback(
    ({ nodes: removedNodes, edges: removedEdges }: { nodes: Node[]; edges: Edge[] }) => {
      const next = deleteElements(doc.value, graph, removedNodes.map((node) => node.id), removedEdges.map((edge) => edge.id));
      if (next === undefined) return;
      change({ value: next, layout: doc.layout });
      if (removedNodes.length > 0) setSelected(null);
    },
    [change, doc, graph],
  );

  const onNodesChange = useCallback(
    (changes: NodeChange<Node<EditorNodeData>>[]) => {
      for (const c of changes) if (c.type === 'select') setSelected((current) => (c.selected ? c.id : current === c.id ? null : current));
      setNodes((current) => applyNodeChanges(changes.filter((c) => c.type !== 'remove' && c.type !== 'select'), current));
    },
    [],
  );


  const onConnect = useCallback(
    (connection: Connection) => {
      const check = checkConnection(graph, connection.source, connection.target);
      if (!check.ok) {
        notify('error', check.message);
        return;
      }
      edit((value) => connect(value, connection.target, check.entry));
    },
    [edit, graph, notify],
  );

  /** The open group under a point of the canvas (deepest first), where a dropped node goes; never `except` or what it holds. */
  const groupAt = useCallback(
    (point: { x: number; y: number }, except?: string): string | null => {
      let found: string | null = null;
      for (const node of graph.nodes) {
        if (node.kind !== 'group' || collapsed.has(node.path) || hiddenBy(node.path)) continue;
        if (except !== undefined && within(node.path, except)) continue;
        const internal = flow.getInternalNode(node.path);
        if (!internal) continue;
        const { x, y } = internal.internals.positionAbsolute;
        const box = boxes.get(node.path)!;
        if (point.x >= x && point.x <= x + box.width && point.y >= y && point.y <= y + box.height && (found === null || within(node.path, found))) found = node.path;
      }
      return found;
    },
    [boxes, collapsed, flow, graph, hiddenBy],
  );

  /** Where a dragged node would go: the group under its middle, or the top (null). */
  const dropTargetOf = useCallback(
    (id: string): { group: string | null; at: { x: number; y: number } } | undefined => {
      const internal = flow.getInternalNode(id);
      if (!internal) return undefined;
      const at = internal.internals.positionAbsolute;
      const middle = { x: at.x + (internal.measured.width ?? NODE_WIDTH) / 2, y: at.y + (internal.measured.height ?? NODE_HEIGHT) / 2 };
      return { group: groupAt(middle, id), at };
    },
    [flow, groupAt],
  );

  const [dropTarget, setDropTarget] = useState<string | null>(null);
  const onNodeDrag = useCallback(
    (_event: unknown, node: Node, dragged: Node[]) => {
      const target = dragged.length === 1 ? dropTargetOf(node.id) : undefined;
      const group = target && target.group !== parentOf(node.id) ? target.group : null;
      setDropTarget((current) => (current === group ? current : group));
    },
    [dropTargetOf],
  );
  useEffect(() => {
    setNodes((current) => current.map((node) => (node.type !== 'group' || (node.className === 'drop-target') === (node.id === dropTarget) ? node : { ...node, className: node.id === dropTarget ? 'drop-target' : '' })));
  }, [dropTarget]);

  const onNodeDragStop = useCallback(
    (_event: unknown, _node: Node, dragged: Node[]) => {
      setDropTarget(null);
      // One node dropped over another group, or out of its own onto the canvas, moves there.
      const target = dragged.length === 1 ? dropTargetOf(dragged[0]!.id) : undefined;
      if (target && target.group !== parentOf(dragged[0]!.id)) {
        const path = dragged[0]!.id;
        const result = moveNode(doc.value, path, target.group);
        if ('problem' in result) {
          notify('error', `Cannot move '${path}': ${result.problem}`);
          // Back where it was.
          setNodes((current) => current.map((node) => (node.id === path ? { ...node, position: built.find((b) => b.id === path)!.position } : node)));
          return;
        }
        const origin = target.group === null ? { x: 0, y: 0 } : flow.getInternalNode(target.group)!.internals.positionAbsolute;
        const layout: Layout = {};
        for (const [at, position] of Object.entries(doc.layout)) if (!within(at, path)) layout[at] = position;
        for (const [at, position] of Object.entries(doc.layout)) if (within(at, path) && at !== path) layout[result.path + at.slice(path.length)] = position;
        layout[result.path] = { x: Math.round(target.at.x - origin.x), y: Math.round(target.at.y - origin.y) };
        change({ value: result.value, layout });
        setSelected(result.path);
        notify('info', target.group === null ? `Moved '${path}' to the top level` : `Moved '${path}' into '${target.group}'`);
        return;
      }
      edit(
        (value) => value,
        (layout) => {
          const next = { ...layout };
          for (const node of dragged) next[node.id] = { x: Math.round(node.position.x), y: Math.round(node.position.y) };
          return next;
        },
      );
    },
    [built, change, doc, dropTargetOf, edit, flow, notify],
  );

  const place = useCallback(
    (kind: 'task' | 'group', point: { x: number; y: number } | undefined) => {
      const parent = point ? groupAt(point) : null;
      const added = addNode(doc.value, parent, kind);
      let position: { x: number; y: number } | undefined;
      if (point) {
        const origin = parent ? flow.getInternalNode(parent)?.internals.positionAbsolute : undefined;
        position = { x: Math.round(point.x - (origin?.x ?? 0) - NODE_WIDTH / 2), y: Math.round(point.y - (origin?.y ?? 0) - NODE_HEIGHT / 2) };
      }
      change({ value: added.value, layout: position ? { ...doc.layout, [added.path]: position } : doc.layout });
      setSelected(added.path);
    },
    [change, doc, flow, groupAt],
  );

  const onDrop = useCallback(
    (event: React.DragEvent) => {
      const kind = event.dataTransfer.getData('application/x-flotilla-node');
      if (kind !== 'task' && kind !== 'group') return;
      event.preventDefault();
      place(kind, flow.screenToFlowPosition({ x: event.clientX, y: event.clientY }));
    },
    [flow, place],
  );

  const save = useCallback(async (): Promise<string | undefined> => {
    if (!opened) {
      setShowOpen(true);
      return undefined;
    }
    if (opened.unparsable !== undefined) {
      notify('error', `${opened.file} cannot be read as YAML: fix it in a text editor (its problems say where); it is not saved from here`);
      return undefined;
    }
    setBusy(true);
    try {
      const result = await request(api, 'workflows.save', { file: opened.file, value: doc.value, version: opened.version, layout: doc.layout });
      setOpened({ file: result.file, version: result.version });
      setIssues(result.issues);
      store.getState().saved();
      notify('info', `Saved ${result.file}${result.issues.length > 0 ? ` (${result.issues.length} problem${result.issues.length > 1 ? 's' : ''} left)` : ''}`);
      return result.file;
    } catch (error) {
      notify('error', (error as Error).message);
      return undefined;
    } finally {
      setBusy(false);
    }
  }, [api, doc, notify, opened, store]);

  const run = useCallback(async () => {
    if (opened?.unparsable !== undefined) {
      notify('error', `${opened?.file} cannot be read as YAML: fix it first`);
      return;
    }
    // The file on disk is what runs: unsaved edits are saved first only when the user says so.
    if (dirty && opened && !confirm(`${opened.file} has unsaved edits. Save them and run?`)) return;
    const saved = dirty || !opened ? await save() : opened.file;
    if (!saved) return;
    try {
      const started = await request(api, 'runs.start', { file: saved });
      notify('info', `Run ${started.run} started: ${started.tasks} task${started.tasks === 1 ? '' : 's'}`);
      onRun(started.run);
    } catch (error) {
      notify('error', (error as Error).message);
    }
  }, [api, dirty, notify, onRun, opened, save]);

  const relayout = useCallback(() => {
    change({ value: doc.value, layout: {} });
    setTimeout(() => void flow.fitView({ padding: 0.2, maxZoom: 1 }), 50);
  }, [change, doc.value, flow]);

  // Shortcuts: Ctrl+S save, Ctrl+Z / Ctrl+Shift+Z (Ctrl+Y) undo and redo, Ctrl+O open, Ctrl+Enter run, Ctrl+L layout.
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (!(event.ctrlKey || event.metaKey)) return;
      const inField = event.target instanceof HTMLElement && /^(INPUT|TEXTAREA|SELECT)$/.test(event.target.tagName);
      const key = event.key.toLowerCase();
      if (key === 's') {
        event.preventDefault();
        (document.activeElement as HTMLElement | null)?.blur?.();
        setTimeout(() => void save(), 0);
      } else if (key === 'o') {
        event.preventDefault();
        setShowOpen(true);
      } else if (key === 'enter' && !inField) {
        event.preventDefault();
        void run();
      } else if (key === 'l' && !inField) {
        event.preventDefault();
        relayout();
      } else if (!inField && (key === 'y' || (key === 'z' && event.shiftKey))) {
        event.preventDefault();
        redo();
      } else if (!inField && key === 'z') {
        event.preventDefault();
        undo();
      }
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, [redo, relayout, run, save, undo]);

  // The desktop app's menu: File > Open, Save, Run.
  useEffect(
    () =>
      api.onMenu((action) => {
        if (action.action === 'open') onFileRef.current(action.file);
        else if (action.action === 'save') void save();
        else if (action.action === 'run') void run();
      }),
    [api, run, save],
  );

  const node = selected ? graph.byPath.get(selected) : undefined;
  const targets = isMapping(doc.value.targets) ? Object.keys(doc.value.targets) : [];

  return (
    <div className="editor">
      <div className="toolbar" role="toolbar" aria-label="Workflow">
        {from && (
          <button onClick={() => onRun(from)} title="Back to the run this file was opened from">
            ← Run {from}
          </button>
        )}
        <button onClick={() => setShowOpen(true)} title="Ctrl+O">
          Open…
        </button>
        <button onClick={() => void save()} disabled={busy || !opened || readOnly} title="Ctrl+S">
          Save
        </button>
        <button onClick={undo} disabled={past.length === 0} title="Ctrl+Z">
          Undo
        </button>
        <button onClick={redo} disabled={future.length === 0} title="Ctrl+Shift+Z">
          Redo
        </button>
        <button onClick={relayout} title="Ctrl+L">
          Arrange
        </button>
        <button className="primary" onClick={() => void run()} disabled={busy || !opened || readOnly} title="Ctrl+Enter">
          ▶ Run
        </button>
        <span className="file" title={opened?.file}>
          {opened ? opened.file : 'no file'}
          {dirty ? ' • unsaved' : ''}
          {readOnly ? ' • read-only: does not parse' : ''}
        </span>
        {dirty && opened && !readOnly && (
          <button
            className="small"
            title="Drop the unsaved edits and reload the file from disk"
            onClick={() => {
              if (!confirm(`Drop the unsaved edits of ${opened.file} and reload it from disk?`)) return;
              dropDraft(opened.file);
              store.getState().saved();
              setReloads((n) => n + 1);
            }}
          >
            Discard edits
          </button>
        )}
        <span className={`validity ${issues.length === 0 ? 'ok' : 'bad'}`} role="status" aria-label="Validation">
          {issues.length === 0 ? '✓ valid' : `${issues.length} problem${issues.length > 1 ? 's' : ''}`}
        </span>
      </div>
      <div className="editor-body">
        <div className="palette" aria-label="Palette">
          <h3>Add</h3>
          {(['task', 'group'] as const).map((kind) => (
            <div
              key={kind}
              className={`palette-item ${kind}`}
              role="button"
              tabIndex={0}
              draggable
              aria-label={`Add ${kind}`}
              onDragStart={(event) => {
                event.dataTransfer.setData('application/x-flotilla-node', kind);
                event.dataTransfer.effectAllowed = 'move';
              }}
              onKeyDown={(event) => {
                if (event.key === 'Enter' || event.key === ' ') place(kind, undefined);
              }}
              onDoubleClick={() => place(kind, undefined)}
            >
              {kind === 'task' ? '▭ Task' : '▣ Group'}
            </div>
          ))}
          <p className="hint">Drag onto the canvas (into a group to nest it). Connect a node's right handle to another's left: it then runs after it. Delete removes the selection.</p>
          {problems.general.length > 0 && (
            <ul className="problems" aria-label="Workflow problems">
              {problems.general.map((problem) => (
                <li key={problem}>{problem}</li>
              ))}
            </ul>
          )}
          {opened?.unparsable !== undefined && <p className="field-error">This file cannot be read as YAML: fix it in a text editor (the problems above say where).</p>}
        </div>
        {opened?.unparsable !== undefined && <UnparsableText text={opened.unparsable} issues={issues} />}
        <div className="canvas" hidden={opened?.unparsable !== undefined} ref={wrapper} onDragOver={(event) => event.preventDefault()} onDrop={onDrop} data-testid="canvas">
          <ReactFlow
            key={opened?.file ?? ''}
            nodes={nodes}
            edges={edges}
            nodeTypes={nodeTypes}
            onNodesChange={onNodesChange}
            onDelete={onDelete}
            onConnect={onConnect}
            onNodeDrag={onNodeDrag}
            onNodeDragStop={onNodeDragStop}
            onPaneClick={() => setSelected(null)}
            deleteKeyCode={['Delete', 'Backspace']}
            fitView={fitOnOpen}
            fitViewOptions={{ maxZoom: 1, padding: 0.2 }}
            minZoom={0.1}
            proOptions={{ hideAttribution: true }}
          >
            <Background gap={16} />
            <Controls />
            <MiniMap pannable zoomable />
          </ReactFlow>
        </div>
        {readOnly ? null : node ? (
          <Inspector
            key={node.path}
            node={node}
            targets={targets}
            problems={problems.byNode.get(node.path) ?? []}
            after={afterList(node.raw).map((entry) => ({ entry, source: resolve(graph.byPath, node.path, entry) }))}
            onRename={(name) => {
              const problem = nameProblem(doc.value, node.parent, name, node.name);
              if (problem) return problem;
              const next = renameNode(doc.value, node.path, name);
              const renamed = node.parent === null ? name : `${node.parent}/${name}`;
              const layout: Layout = {};
              for (const [path, position] of Object.entries(doc.layout)) layout[within(path, node.path) ? renamed + path.slice(node.path.length) : path] = position;
              change({ value: next, layout });
              setSelected(renamed);
              return undefined;
            }}
            onPatch={(patch) => edit((value) => updateNode(value, node.path, patch))}
            onRemoveAfter={(entry) => edit((value) => disconnect(value, node.path, entry))}
            onDelete={() => {
              edit((value) => removeNode(value, node.path));
              setSelected(null);
            }}
          />
        ) : (
          <WorkflowInspector value={doc.value} problems={problems.general} onPatch={(patch) => edit((value) => patchWorkflow(value, patch))} />
        )}
      </div>
      {showOpen && (
        <OpenDialog
          current={opened?.file}
          onClose={() => setShowOpen(false)}
          onOpen={(path) => {
            if (path === file) return setShowOpen(false);
            // (The edits are kept for this file either way, and come back when it is opened again.)
            if (dirty && opened && !confirm(`${opened.file} has unsaved edits. Open ${path} anyway? (the edits stay kept for ${opened.file} in this tab)`)) return;
            setShowOpen(false);
            onFile(path);
          }}
          onCreate={async (path) => {
            try {
              const result = await request(api, 'workflows.save', { file: path, value: { ...EMPTY, name: path.split('/').at(-1)!.replace(/\.(ya?ml|json)$/i, '') }, version: null });
              setShowOpen(false);
              onFile(result.file);
            } catch (error) {
              notify('error', (error as Error).message);
            }
          }}
        />
      )}
    </div>
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
