/**
 * The run's graph as React Flow draws it: one node per node of the shape (model.ts), in its
 * box, coloured by its tasks' states; a loop's node bigger, with its iterations (loops.ts).
 * Pure: tested on its own (test/renderer/stores.test.ts, canvas-level.test.ts).
 */
import type { Edge, Node } from '@xyflow/react';
import { NODE_HEIGHT, NODE_WIDTH } from '../common/layout.ts';
import type { Box } from '../common/layout.ts';
import { sideHandles } from '../common/handles.ts';
import type { TaskState } from '../../../core/api/types.ts';
import { loopView, NO_FACTS, sameLoopView, shownLoopState } from './loops.ts';
import type { LoopFacts, LoopView } from './loops.ts';
import { ACTIVE, counts, dominant, medianTime, retriedOf, spanOf } from './model.ts';
import type { MonitorNode, MonitorShape, TaskTiming } from './model.ts';

export interface RunNodeData extends Record<string, unknown> {
  node: MonitorNode;
  counts: Partial<Record<TaskState, number>>;
  state: TaskState;
  /** A loop's node: what it shows of its iterations. */
  loop?: LoopView;
  /** A task's node: its latest attempt's times, exit and tries. */
  timing?: TaskTiming;
  /** A sweep's node: the median time of its instances that ended, and how many took more than one try. */
  median?: number | null;
  retried?: number;
  /** A loop's node: from its first task's start to its last one's end (null while one runs). */
  span?: { from: number; to: number | null };
}

/** A loop's node: room for its name, its count, a strip of iterations and a line of values. */
export const LOOP_WIDTH = 300;
export const LOOP_HEIGHT = 92;

/** A node's size in the layout and on the page. */
export function sizeOf(node: MonitorNode): { width: number; height: number } {
  return node.loop ? { width: LOOP_WIDTH, height: LOOP_HEIGHT } : { width: NODE_WIDTH, height: NODE_HEIGHT };
}

export type RunFlowNode = Node<RunNodeData, 'run'>;

const NO_TIMINGS: ReadonlyMap<string, TaskTiming> = new Map();

const sameCounts = (a: Partial<Record<TaskState, number>>, b: Partial<Record<TaskState, number>>): boolean => {
  const keys = Object.keys(a) as TaskState[];
  return keys.length === Object.keys(b).length && keys.every((key) => a[key] === b[key]);
};

/**
 * The nodes to draw. A node whose tasks' states, box and selection did not change since
 * `previous` is that same object, so a batch of state changes in a 10,000-task run makes
 * React Flow take in only the nodes that changed. A node the layout does not know yet
 * (its layout is on its way) stands at the top left corner.
 */
export function runFlowNodes(
  shape: MonitorShape,
  boxes: ReadonlyMap<string, Box>,
  states: ReadonlyMap<string, TaskState>,
  selected: string | null,
  previous: ReadonlyMap<string, RunFlowNode>,
  facts: LoopFacts = NO_FACTS,
  timings: ReadonlyMap<string, TaskTiming> = NO_TIMINGS,
): RunFlowNode[] {
  const selectedKey = selected === null ? null : (shape.keyOf.get(selected) ?? selected);
  return shape.nodes.map((node) => {
    const count = counts(node.tasks, states);
    const loop = node.loop ? loopView(node.key, node.loop.iterations, node.loop.open, node.loop.max, states, facts) : undefined;
    const box = boxes.get(node.key);
    const x = box?.x ?? 0;
    const y = box?.y ?? 0;
    const isSelected = node.key === selectedKey;
    const timing = node.folded || node.loop ? undefined : timings.get(node.tasks[0]!);
    const median = node.folded ? medianTime(node.tasks, timings) : undefined;
    const retried = node.folded ? retriedOf(node.tasks, timings) : undefined;
    const span = node.loop ? spanOf(node.loop.iterations.flat(), timings) : undefined;
    const before = previous.get(node.key);
    if (
      before &&
      before.data.node === node &&
      before.position.x === x &&
      before.position.y === y &&
      before.selected === isSelected &&
      sameCounts(before.data.counts, count) &&
      sameLoopView(before.data.loop, loop) &&
      before.data.timing === timing &&
      before.data.median === median &&
      (before.data.retried ?? 0) === (retried ?? 0) &&
      before.data.span?.from === span?.from &&
      before.data.span?.to === span?.to
    ) {
      return before;
    }
    const { width, height } = sizeOf(node);
    return {
      id: node.key,
      type: 'run',
      position: { x, y },
      width,
      height,
      handles: sideHandles(width, height),
      data: { node, counts: count, state: loop ? shownLoopState(dominant(count), loop.made) : dominant(count), ...(loop ? { loop } : {}), ...(timing ? { timing } : {}), ...(median !== undefined ? { median } : {}), ...(retried ? { retried } : {}), ...(span ? { span } : {}) },
      selected: isSelected,
      draggable: false,
      connectable: false,
      deletable: false,
    };
  });
}

/** The edges to draw: one per pair of nodes, moving while the task it leads to is active. */
export function runFlowEdges(shape: MonitorShape, states: ReadonlyMap<string, TaskState>): Edge[] {
  return shape.edges.map((edge) => ({
    id: `${edge.source}->${edge.target}`,
    source: edge.source,
    target: edge.target,
    deletable: false,
    animated: ACTIVE.has(states.get(edge.target) ?? 'waiting'),
    // A loop's node to the iteration drawn open: dashed, it is where those tasks come from, not a dependency.
    ...(edge.iteration ? { className: 'iteration-edge' } : {}),
  }));
}

/** What the canvas level draws of a node (common/scene.ts): a box in its state's colour, as its element zoomed out, and its name. */
export function describeRunNode(node: RunFlowNode): { style: string; label: string } {
  const { node: shown, state } = node.data;
  return { style: `run-node far state-${state}`, label: shown.folded ? shown.path : (shown.tasks[0] ?? shown.path) };
}
