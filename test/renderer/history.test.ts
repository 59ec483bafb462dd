/**
 * The editor's undo and redo (renderer/src/editor/history.ts) as a property: over random
 * sequences of the editor's edits, undos and redos, the document is at every step exactly
 * the one the same sequence reaches in a plain list of snapshots — every node, edge and key,
 * in order — also after its history went through JSON (a reload keeps it that way).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createDocumentStore, HISTORY_LIMIT } from '../../renderer/src/editor/history.ts';
import type { DocumentStore, Snapshot } from '../../renderer/src/editor/history.ts';
import { addNode, buildGraph, checkConnection, connect, deleteElements, disconnect, freshName, moveNode, nodeAt, removeNode, renameNode, updateNode } from '../../renderer/src/editor/model.ts';
import type { Mapping } from '../../renderer/src/editor/model.ts';

const START: Mapping = {
  version: 1,
  name: 'md',
  params: { temps: [300, 310] },
  targets: { hpc: { type: 'slurm', host: 'hpc', root: 'runs' } },
  tasks: {
    prep: { run: 'make', outputs: ['top.gro'], env: { OMP_NUM_THREADS: '4' } },
    windows: {
      after: 'prep',
      foreach: { t: '{{ params.temps }}' },
      tasks: {
        eq: { run: 'eq {{ t }}', target: 'hpc', resources: { cpus: 8, time: '2h' } },
        prod: { after: ['eq'], run: 'prod', retries: 2 },
      },
    },
    b: { run: 'echo b' },
    c: { run: 'echo c', after: 'b' },
    report: { after: ['windows/prod', 'c'], run: 'sum', cache: true },
  },
};

/** A small seeded generator (mulberry32): the same seed, the same sequence. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Edit = (value: Mapping) => Mapping | undefined;

/**
 * One of the editor's edits, picked at random among those that apply to `value`: every random
 * choice is made here, so the edit gives the same result each time it is applied.
 */
function randomEdit(value: Mapping, next: () => number, step: number): { name: string; value?: Edit; layout?: boolean; deleted?: { nodes: string[]; edges: string[] } } {
  const pick = <T,>(list: readonly T[]): T | undefined => (list.length === 0 ? undefined : list[Math.floor(next() * list.length)]);
  const graph = buildGraph(value);
  const paths = graph.nodes.map((node) => node.path);
  const groups = graph.nodes.filter((node) => node.kind === 'group').map((node) => node.path);
  const path = pick(paths);
  const kind = Math.floor(next() * 9);
  switch (kind) {
    case 0: {
      const parent = pick([null, ...groups]) ?? null;
      const kind = next() < 0.7 ? 'task' : 'group';
      return { name: 'add', value: (v) => addNode(v, parent, kind).value };
    }
    case 1:
      return { name: 'remove', value: (v) => (path === undefined ? undefined : removeNode(v, path)) };
    case 2: {
      const source = pick(paths);
      const target = pick(paths);
      const check = source !== undefined && target !== undefined ? checkConnection(graph, source, target) : undefined;
      return { name: 'connect', value: (v) => (check?.ok ? connect(v, target!, check.entry) : undefined) };
    }
    case 3: {
      const edge = pick(graph.edges);
      return { name: 'disconnect', value: (v) => (edge ? disconnect(v, edge.target, edge.entry) : undefined) };
    }
    case 4:
      return { name: 'rename', value: (v) => (path === undefined ? undefined : renameNode(v, path, freshName(v, graph.byPath.get(path)!.parent, 'renamed'))) };
    case 5: {
      const into = pick([null, ...groups]) ?? null;
      return {
        name: 'move',
        value: (v) => {
          if (path === undefined) return undefined;
          const moved = moveNode(v, path, into);
          return 'problem' in moved || moved.value === v ? undefined : moved.value;
        },
      };
    }
    case 6: {
      const patch = pick<Mapping>([{ run: `echo ${step}` }, { retries: step % 4 }, { retries: undefined }, { target: 'hpc' }, { resources: { cpus: step % 16 } }, { env: {} }]);
      return { name: 'update', value: (v) => (path === undefined || nodeAt(v, path) === undefined ? undefined : updateNode(v, path, patch!)) };
    }
    case 7: {
      // A selection deleted with the Delete key: some nodes and some edges, as one edit.
      const nodes = paths.filter(() => next() < 0.15);
      const edges = graph.edges.filter(() => next() < 0.2).map((edge) => edge.id);
      return { name: 'delete', value: (v) => deleteElements(v, graph, nodes, edges), deleted: { nodes, edges } };
    }
    default:
      return { name: 'place', layout: path !== undefined };
  }
}

/**
 * What a deletion must do: the selected nodes (with what they hold) and edges are gone, every
 * other node stays, and no dependency is left naming what went.
 */
function checkDeletion(before: Mapping, after: Mapping, deleted: { nodes: string[]; edges: string[] }, where: string): void {
  const was = buildGraph(before);
  const now = buildGraph(after);
  const gone = (path: string) => deleted.nodes.some((node) => path === node || path.startsWith(`${node}/`));
  for (const node of was.nodes) assert.equal(now.byPath.has(node.path), !gone(node.path), `${where}: node ${node.path}`);
  for (const id of deleted.edges) assert.ok(!now.edges.some((edge) => edge.id === id), `${where}: edge ${id} is gone`);
  for (const edge of was.edges) {
    if (gone(edge.source) || gone(edge.target) || deleted.edges.includes(edge.id)) continue;
    assert.ok(now.edges.some((kept) => kept.id === edge.id), `${where}: edge ${edge.id} stays`);
  }
  assert.ok(now.dangling.length <= was.dangling.length, `${where}: no dependency names a deleted node`);
}

/** The document as compared: every key, in order. */
const text = (doc: Snapshot) => JSON.stringify(doc);

describe('editor history', () => {
  it('undo and redo give back exactly the documents of a plain list of snapshots, over random edit sequences', () => {
    for (let seed = 1; seed <= 25; seed++) {
      const next = random(seed);
      let store: DocumentStore = createDocumentStore({ value: structuredClone(START), layout: {} });
      // The model: every snapshot (its own copies, made by the same edits on them), and which one is current.
      const timeline: string[] = [text({ value: START, layout: {} })];
      let at = 0;
      let dirty = false;
      let edits = 0;
      let limited = false;
      const log: string[] = [];
      // Some sequences seldom undo, and so go past the history's limit.
      const undos = seed % 5 === 0 ? 0.02 : 0.2;
      for (let step = 0; step < 500; step++) {
        const roll = next();
        const state = store.getState();
        const where = () => `seed ${seed}, step ${step}, after ${log.slice(-6).join(', ')}`;
        if (roll < undos) {
          log.push('undo');
          state.undo();
          if (at > 0) {
            at--;
            dirty = true;
          }
        } else if (roll < undos * 1.5) {
          log.push('redo');
          state.redo();
          if (at < timeline.length - 1) {
            at++;
            dirty = true;
          }
        } else {
          const edit = randomEdit(state.doc.value, next, step);
          const current = JSON.parse(timeline[at]!) as Snapshot;
          let expected: Snapshot;
          if (edit.layout) {
            const path = buildGraph(state.doc.value).nodes[0]!.path;
            const place = (layout: Snapshot['layout']) => ({ ...layout, [path]: { x: step, y: -step } });
            state.edit((v) => v, place);
            expected = { value: current.value, layout: place(current.layout) };
          } else {
            const value = edit.value?.(state.doc.value);
            if (value === undefined) continue;
            // The editor makes edits both ways: a whole snapshot, or a function of the value.
            if (step % 2 === 0) state.change({ value, layout: state.doc.layout });
            else state.edit((v) => edit.value!(v)!);
            expected = { value: edit.value!(current.value)!, layout: current.layout };
            if (edit.name === 'delete') checkDeletion(current.value, expected.value, edit.deleted!, where());
          }
          log.push(edit.name);
          edits++;
          dirty = true;
          timeline.splice(at + 1, timeline.length, text(expected));
          at++;
          // The oldest step goes beyond the limit.
          if (at > HISTORY_LIMIT) {
            limited = true;
            timeline.shift();
            at--;
          }
        }
        const now = store.getState();
        assert.equal(text(now.doc), timeline[at], where());
        assert.equal(now.past.length, at, where());
        assert.equal(now.future.length, timeline.length - 1 - at, where());
        assert.equal(now.dirty, dirty, where());
        // Every 50 steps the history goes through JSON and into a new store, as a reload does.
        if (step % 50 === 49) {
          const kept = JSON.parse(JSON.stringify({ doc: now.doc, past: now.past, future: now.future })) as { doc: Snapshot; past: Snapshot[]; future: Snapshot[] };
          store = createDocumentStore({ value: {}, layout: {} });
          store.getState().load(kept.doc, { past: kept.past, future: kept.future, dirty: now.dirty });
        }
      }
      // Undo to the first kept step and redo to the last: each step exactly as it was.
      while (store.getState().past.length > 0) {
        store.getState().undo();
        at--;
        assert.equal(text(store.getState().doc), timeline[at], `seed ${seed}: undo to ${at}`);
      }
      while (store.getState().future.length > 0) {
        store.getState().redo();
        at++;
        assert.equal(text(store.getState().doc), timeline[at], `seed ${seed}: redo to ${at}`);
      }
      assert.ok(edits > 150, `seed ${seed} made ${edits} edits`);
      if (undos < 0.1) assert.ok(limited, `seed ${seed} reached the limit`);
    }
  });

  it('a deleted task comes back with its dependency on undo, and goes again on redo', () => {
    const store = createDocumentStore({ value: structuredClone(START), layout: {} });
    const graph = buildGraph(store.getState().doc.value);
    // Selected and deleted: task `c` and, with it, its edge from `b` (xyflow hands over both).
    store.getState().change({ value: deleteElements(store.getState().doc.value, graph, ['c'], ['b->c', 'c->report'])!, layout: {} });
    assert.equal(nodeAt(store.getState().doc.value, 'c'), undefined);
    assert.deepEqual(nodeAt(store.getState().doc.value, 'report')!.after, ['windows/prod']);
    store.getState().undo();
    assert.deepEqual(store.getState().doc.value, START);
    assert.equal(JSON.stringify(store.getState().doc.value), JSON.stringify(START), 'keys in their order');
    assert.equal(buildGraph(store.getState().doc.value).edges.length, graph.edges.length);
    store.getState().redo();
    assert.equal(nodeAt(store.getState().doc.value, 'c'), undefined);
    assert.equal(store.getState().dirty, true);
  });
});
