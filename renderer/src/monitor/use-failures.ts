import { useCallback, useEffect, useMemo, useRef } from 'react';
import { useReactFlow } from '@xyflow/react';
import type { Box } from '../common/layout.ts';
import type { MonitorShape } from './model.ts';
import { useMonitorStores, useRun } from './monitor-context.ts';

/**
 * The run's failed tasks in its order, and a step to the next one (or back): it is selected (its
 * panel opens on its stderr), the loop iterations it is in are opened, and the graph brings its
 * node into view (a sweep's folded node, if it is in one); the table lists the failed tasks.
 */
export function useFailures(structure: MonitorShape | null): { failed: string[]; step: (back?: boolean) => void } {
  const { view } = useMonitorStores();
  const graph = useRun((state) => state.graph);
  const states = useRun((state) => state.states);
  const version = useRun((state) => state.version);
  const failed = useMemo(
    () => (graph ? graph.tasks.filter((task) => states.get(task.id) === 'failed' && !task.loop).map((task) => task.id) : []),
    // `version` stands for the states, which change in place.
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [graph, version],
  );
  const step = useCallback(
    (back = false) => {
      if (failed.length === 0) return;
      const { selected, openIteration, reveal, show, view: shown, setFilter } = view.getState();
      const at = selected === null ? -1 : failed.indexOf(selected);
      const next = failed[at === -1 ? (back ? failed.length - 1 : 0) : (at + (back ? failed.length - 1 : 1)) % failed.length]!;
      // Every loop iteration it is in, inner to outer, opened.
      const byId = new Map(graph?.tasks.map((task) => [task.id, task]));
      let inLoop = false;
      for (let at = byId.get(next)?.iteration; at; at = byId.get(at.of)?.iteration) {
        openIteration(at.of, at.index);
        inLoop = true;
      }
      const key = inLoop ? next : (structure?.keyOf.get(next) ?? next);
      reveal(next, key);
      if (shown === 'table') setFilter('failed');
      else if (shown === 'timeline') show('graph');
    },
    [failed, graph, structure, view],
  );
  return { failed, step };
}

/** Brings the node the view store asks for (`focus`) into view at a readable zoom, once the layout has placed it. */
export function useNodeFocus(boxes: ReadonlyMap<string, Box> | undefined, pane: HTMLElement | null): void {
  const flow = useReactFlow();
  const { view } = useMonitorStores();
  const done = useRef(0);
  useEffect(() => {
    const look = () => {
      const wanted = view.getState().focus;
      if (!wanted || wanted.seq === done.current || !boxes || !pane) return;
      const box = boxes.get(wanted.key);
      // Its node is not laid out yet (an iteration just opened): look again when the layout arrives.
      if (!box) return;
      done.current = wanted.seq;
      void flow.setCenter(box.x + box.width / 2, box.y + box.height / 2, { zoom: Math.max(1, flow.getZoom()), duration: 200 });
    };
    look();
    return view.subscribe(look);
  }, [boxes, pane, flow, view]);
}
