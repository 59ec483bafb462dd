import { useEffect, useMemo, useRef, useState } from 'react';
import { ReactFlow } from '@xyflow/react';
import { GraphOverlays } from '../common/GraphOverlays.tsx';
import { useCanvasLevel } from '../common/use-canvas-level.ts';
import { useLayout } from '../common/use-layout.ts';
import { useOpeningView } from '../common/use-opening-view.ts';
import { boundsOf } from '../common/viewport.ts';
import { describeRunNode, runFlowEdges, runFlowNodes } from './flow.ts';
import type { RunFlowNode, RunNodeData } from './flow.ts';
import type { MonitorShape } from './model.ts';
import { useMonitorView, useRun } from './monitor-context.ts';
import { runNodeTypes } from './RunNode.tsx';

/** The run as a graph: laid out once per shape (off the page's thread when big), coloured as its states change. */
export function RunGraphView({ shape }: { shape: MonitorShape }) {
  const states = useRun((state) => state.states);
  const version = useRun((state) => state.version);
  const run = useRun((state) => state.graph?.run ?? null);
  const selected = useMonitorView((state) => state.selected);
  const select = useMonitorView((state) => state.select);
  const expand = useMonitorView((state) => state.expand);
  const [pane, setPane] = useState<HTMLDivElement | null>(null);

  const input = useMemo(() => ({ nodes: shape.nodes.map((node) => ({ id: node.key, parent: null, group: false })), edges: shape.edges }), [shape]);
  const { boxes } = useLayout(input);
  const previous = useRef(new Map<string, RunFlowNode>());
  const nodes = useMemo(
    () => (boxes ? runFlowNodes(shape, boxes, states, selected, previous.current) : []),
    // `version` stands for the states, which change in place.
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [shape, boxes, states, selected, version],
  );
  useEffect(() => {
    previous.current = new Map(nodes.map((node) => [node.id, node]));
  }, [nodes]);
  const edges = useMemo(() => runFlowEdges(shape, states), [shape, states]);
  const bounds = useMemo(() => (boxes ? boundsOf(boxes.values()) : undefined), [boxes]);
  useOpeningView(run, bounds, pane);

  // A big run zoomed out is one canvas: React Flow gets no nodes then, and a click there selects.
  const shown = useCanvasLevel(nodes, edges, describeRunNode, bounds, select);
  const selectedKey = selected === null ? null : (shape.keyOf.get(selected) ?? selected);

  return (
    <div className="canvas" data-testid="run-graph" data-flow-nodes={shown.nodes.length} data-level={shown.level} ref={setPane}>
      <ReactFlow
        nodes={shown.nodes}
        edges={edges}
        nodeTypes={runNodeTypes}
        onNodeClick={(_event, node) => select(node.id)}
        onNodeDoubleClick={(_event, node) => {
          const folded = shape.nodes.find((n) => n.key === node.id && n.folded);
          if (folded) expand(folded.path);
        }}
        onPaneClick={shown.onPaneClick}
        nodesDraggable={false}
        nodesConnectable={false}
        onlyRenderVisibleElements
        minZoom={shown.minZoom}
        proOptions={{ hideAttribution: true }}
      >
        <GraphOverlays
          count={nodes.length}
          scene={shown.scene}
          canvas={shown.level === 'canvas'}
          selected={selectedKey}
          bounds={bounds}
          interactive={false}
          miniMapClass={(node) => `state-${(node.data as RunNodeData).state}`}
        />
      </ReactFlow>
    </div>
  );
}
