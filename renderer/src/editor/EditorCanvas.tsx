import { useCallback, useEffect, useMemo, useState } from 'react';
import { applyNodeChanges, ReactFlow } from '@xyflow/react';
import type { Connection, Edge, Node, NodeChange } from '@xyflow/react';
import { useNotify } from '../common/context.ts';
import { GraphOverlays } from '../common/GraphOverlays.tsx';
import { useCanvasLevel } from '../common/use-canvas-level.ts';
import { boundsOf } from '../common/viewport.ts';
import { useLayout } from '../common/use-layout.ts';
import { useOpeningView } from '../common/use-opening-view.ts';
import { useDocument, useEditorStores, useGraph, useView } from './editor-context.ts';
import { describeNode, flowEdges, flowNodes, layoutInput, markNodes, placeBoxes } from './flow.ts';
import type { EditorNodeData } from './flow.ts';
import { checkConnection, connect, deleteElements } from './model.ts';
import { nodeTypes } from './nodes.tsx';
import { useCanvasDrops } from './use-canvas-drops.ts';

/** The document as a graph to edit: nodes laid out (off the page's thread when big), dragged, connected, deleted. */
export function EditorCanvas({ problems }: { problems: ReadonlyMap<string, string[]> }) {
  const notify = useNotify();
  const { doc, view } = useEditorStores();
  const graph = useGraph();
  const layout = useDocument((state) => state.doc.layout);
  const edit = useDocument((state) => state.edit);
  const opened = useView((state) => state.opened);
  const collapsed = useView((state) => state.collapsed);
  const selected = useView((state) => state.selected);
  const dropTarget = useView((state) => state.dropTarget);
  const fitOnOpen = useView((state) => state.fitOnOpen);
  const [pane, setPane] = useState<HTMLDivElement | null>(null);

  // What React Flow draws (flow.ts): boxes laid out with what was placed by hand, folded groups.
  const input = useMemo(() => layoutInput(graph, collapsed), [graph, collapsed]);
  const { boxes: auto } = useLayout(input);
  const boxes = useMemo(() => (auto ? placeBoxes(graph, auto, layout, collapsed) : undefined), [auto, graph, layout, collapsed]);
  const built = useMemo(() => (boxes ? flowNodes(graph, boxes, collapsed, problems) : []), [boxes, graph, collapsed, problems]);
  const edges = useMemo(() => flowEdges(graph, collapsed), [graph, collapsed]);
  const [nodes, setNodes] = useState<Node<EditorNodeData>[]>([]);
  useEffect(() => setNodes((previous) => markNodes(previous, built, selected, dropTarget)), [built, selected, dropTarget]);

  const bounds = useMemo(() => (boxes ? boundsOf(graph.nodes.filter((node) => node.parent === null).map((node) => boxes.get(node.path)!)) : undefined), [boxes, graph]);
  useOpeningView(opened && fitOnOpen ? opened.file : null, bounds, pane);
  const { onNodeDrag, onNodeDragStop, onDrop } = useCanvasDrops(boxes, setNodes);

  // A big graph zoomed out is one canvas: React Flow gets no nodes then, and a click there selects.
  const select = useCallback((id: string | null) => view.getState().select(id), [view]);
  const shown = useCanvasLevel(nodes, edges, describeNode, bounds, select);

  // A deletion is one edit, nodes and edges together (`onDelete`): as two, undo would bring a
  // node back without the dependencies its removal took along.
  const onDelete = useCallback(
    ({ nodes: removedNodes, edges: removedEdges }: { nodes: Node[]; edges: Edge[] }) => {
      const { doc: current, change } = doc.getState();
      const next = deleteElements(current.value, graph, removedNodes.map((node) => node.id), removedEdges.map((edge) => edge.id));
      if (next === undefined) return;
      change({ value: next, layout: current.layout });
      if (removedNodes.length > 0) view.getState().select(null);
    },
    [doc, graph, view],
  );

  const onNodesChange = useCallback(
    (changes: NodeChange<Node<EditorNodeData>>[]) => {
      for (const change of changes) if (change.type === 'select') view.getState().selectionChanged(change.id, change.selected);
      setNodes((current) => applyNodeChanges(changes.filter((change) => change.type !== 'remove' && change.type !== 'select'), current));
    },
    [view],
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

  return (
    <div className="canvas" hidden={opened?.unparsable !== undefined} ref={setPane} onDragOver={(event) => event.preventDefault()} onDrop={onDrop} data-testid="canvas" data-flow-nodes={shown.nodes.length} data-level={shown.level}>
      <ReactFlow
        key={opened?.file ?? ''}
        nodes={shown.nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        onNodesChange={onNodesChange}
        onDelete={onDelete}
        onConnect={onConnect}
        onNodeDrag={onNodeDrag}
        onNodeDragStop={onNodeDragStop}
        onPaneClick={shown.onPaneClick}
        deleteKeyCode={['Delete', 'Backspace']}
        onlyRenderVisibleElements
        minZoom={shown.minZoom}
        proOptions={{ hideAttribution: true }}
      >
        <GraphOverlays count={nodes.length} scene={shown.scene} canvas={shown.level === 'canvas'} selected={selected} bounds={bounds} />
      </ReactFlow>
    </div>
  );
}
