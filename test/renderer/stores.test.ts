/**
 * The editor's view store, the monitor's run store and its mapping to flow nodes, and the
 * level-of-detail and opening-view rules (renderer/src/common/viewport.ts), without a browser.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RunStatus, TaskState } from '../../core/api/types.ts';
import type { Box } from '../../renderer/src/common/layout.ts';
import { DETAIL_ZOOM, isDetailed, openingView, READABLE_ZOOM, selectDetailed } from '../../renderer/src/common/viewport.ts';
import { createEditorViewStore } from '../../renderer/src/editor/view-store.ts';
import { runFlowNodes } from '../../renderer/src/monitor/flow.ts';
import type { RunFlowNode } from '../../renderer/src/monitor/flow.ts';
import { shape } from '../../renderer/src/monitor/model.ts';
import { createRunStore } from '../../renderer/src/monitor/run-store.ts';

const status = (states: Record<string, TaskState>): RunStatus =>
  ({
    run: { id: 'r1', name: 'w', file: '/w.yaml', state: 'running', createdAt: 1, endedAt: null, stopped: null },
    counts: {},
    clusters: [],
    tasks: Object.entries(states).map(([id, state]) => ({ id, state, reason: null })),
  }) as unknown as RunStatus;

describe('editor view store', () => {
  it('folds and unfolds a group, and follows the selection React Flow reports', () => {
    const view = createEditorViewStore();
    view.getState().toggle('windows');
    view.getState().toggle('other');
    view.getState().toggle('windows');
    assert.deepEqual([...view.getState().collapsed], ['other']);
    view.getState().selectionChanged('a', true);
    view.getState().selectionChanged('b', false);
    assert.equal(view.getState().selected, 'a');
    view.getState().selectionChanged('a', false);
    assert.equal(view.getState().selected, null);
  });

  it('a file opened clears the selection and closes the dialog; the same drop target twice changes nothing', () => {
    const view = createEditorViewStore();
    view.getState().select('a');
    view.getState().setShowOpen(true);
    view.getState().open({ file: '/w.yaml', version: 'v1' }, [], true);
    assert.deepEqual([view.getState().selected, view.getState().showOpen, view.getState().fitOnOpen], [null, false, true]);
    view.getState().setDropTarget('g');
    const before = view.getState();
    view.getState().setDropTarget('g');
    assert.equal(view.getState(), before);
  });
});

describe('run store', () => {
  it('a full status shows at once; transitions wait for their batch; a status that changes nothing renders nothing', () => {
    const run = createRunStore(60_000);
    run.getState().applyStatus(status({ a: 'succeeded', b: 'running', c: 'waiting' }));
    const shown = run.getState().version;
    assert.deepEqual(run.getState().total, { succeeded: 1, running: 1, waiting: 1 });
    run.getState().applyTransition('b', 'succeeded', null);
    run.getState().applyTransition('c', 'running', null);
    assert.equal(run.getState().version, shown);
    run.getState().flush();
    assert.equal(run.getState().version, shown + 1);
    assert.deepEqual(run.getState().total, { succeeded: 2, running: 1 });
    run.getState().applyStatus(status({ a: 'succeeded', b: 'succeeded', c: 'running' }));
    assert.equal(run.getState().version, shown + 1);
    run.getState().dispose();
  });
});

describe('run graph nodes', () => {
  const tasks = ['a', 'b', 'c'].map((id, i) => ({ id, path: id, after: i === 0 ? [] : ['a'], target: 'local', vars: {} }));
  const boxes = new Map<string, Box>(['a', 'b', 'c'].map((id, i) => [id, { x: i * 100, y: 0, width: 200, height: 60 }]));

  it('a batch of changes gives new nodes only for the tasks whose state changed', () => {
    const structure = shape(tasks, new Set());
    const states = new Map<string, TaskState>([
      ['a', 'succeeded'],
      ['b', 'running'],
      ['c', 'waiting'],
    ]);
    const first = runFlowNodes(structure, boxes, states, null, new Map());
    const previous = new Map<string, RunFlowNode>(first.map((node) => [node.id, node]));
    states.set('b', 'failed');
    const second = runFlowNodes(structure, boxes, states, 'c', previous);
    assert.equal(second[0], first[0]);
    assert.notEqual(second[1], first[1]);
    assert.equal(second[1]!.data.state, 'failed');
    assert.deepEqual(second.map((node) => node.selected), [false, false, true]);
  });
});

describe('level of detail and opening view', () => {
  it('nodes lose their text below DETAIL_ZOOM, through one boolean selector', () => {
    assert.equal(selectDetailed({ transform: [0, 0, DETAIL_ZOOM] }), true);
    assert.equal(selectDetailed({ transform: [10, 10, DETAIL_ZOOM - 0.01] }), false);
    assert.equal(isDetailed(1), true);
  });

  it('a small graph opens whole; one too big to read whole opens readable at its top left corner', () => {
    assert.deepEqual(openingView({ x: 0, y: 0, width: 800, height: 300 }, { width: 1200, height: 700 }), { fit: true });
    const big = openingView({ x: -40, y: 10, width: 26_000, height: 8_400 }, { width: 1200, height: 700 });
    assert.equal(big.fit, false);
    if (big.fit) return;
    assert.equal(big.viewport.zoom, READABLE_ZOOM);
    // The corner of the graph is just inside the pane's top left corner.
    assert.deepEqual([-40 * READABLE_ZOOM + big.viewport.x, 10 * READABLE_ZOOM + big.viewport.y], [24, 24]);
  });
});
