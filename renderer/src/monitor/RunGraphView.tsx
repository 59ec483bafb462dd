import { useEffect, useMemo, useRef, useState } from 'react';
import { ReactFlow } from '@xyflow/react';
import { GraphOverlays } from '../common/GraphOverlays.tsx';
import { useCanvasLevel } from '../common/use-canvas-level.ts';
import { useLayout } from '../common/use-layout.ts';
import { useOpeningView } from '../common/use-opening-view.ts';
import { boundsOf } from '../common/viewport.ts';
import { describeRunNode, runFlowEdges, runFlowNodes, sizeOf } from './flow.ts';
import type { RunFlowNode, RunNodeData } from './flow.ts';
import type { MonitorShape } from './model.ts';
import { useMonitorView, useRun } from './monitor-context.ts';
import { runNodeTypes } from './RunNode.tsx';
import { useNodeFocus } from './use-failures.ts';
import { useIterationFocus } from './use-iteration-focus.ts';

/** The run as a graph: laid out once per shape (off the page's thread when big), coloured as its states change. */
export function RunGraphView({ shape }: { shape: MonitorShape }) {
  const states = useRun((state) => state.states);
  const version = useRun((state) => state.version);
  const run = useRun((state) => state.graph?.run ?? null);
  const loops = useRun((state) => state.loops);
  const values = useRun((state) => state.values);
  const timings = useRun((state) => state.timings);
  const selected = useMonitorView((state) => state.selected);
  const select = useMonitorView((state) => state.select);
  const expand = useMonitorView((state) => state.expand);
  const openIteration = useMonitorView((state) => state.openIteration);
  const opened = useMonitorView((state) => state.opened);
  const [pane, setPane] = useState<HTMLDivElement | null>(null);

  const input = useMemo(() => ({ nodes: shape.nodes.map((node) => ({ id: node.key, parent: null, group: false, ...(node.loop ? sizeOf(node) : {}) })), edges: shape.edges }), [shape]);
  const { boxes } = useLayout(input);
  const previous = useRef(new Map<string, RunFlowNode>());
  const nodes = useMemo(
    () => (boxes ? runFlowNodes(shape, boxes, states, selected, previous.current, { loops, values }, timings) : []),
    // `version` stands for the states, loops, values and timings, which change in place.
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [shape, boxes, states, selected, version, loops, values, timings],
  );
  useEffect(() => {
    previous.current = new Map(nodes.map((node) => [node.id, node]));
  }, [nodes]);
  const edges = useMemo(() => runFlowEdges(shape, states), [shape, states]);
  const bounds = useMemo(() => (boxes ? boundsOf(boxes.values()) : undefined), [boxes]);
  useOpeningView(run, bounds, pane);
  useIterationFocus(shape, boxes, opened, pane);
  useNodeFocus(boxes, pane);

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
          const clicked = shape.nodes.find((n) => n.key === node.id);
          if (clicked?.folded) expand(clicked.path);
          // A loop: its latest iteration drawn, or folded again.
          else if (clicked?.loop) openIteration(clicked.key, clicked.loop.open === null && clicked.loop.iterations.length > 0 ? clicked.loop.iterations.length - 1 : null);
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
