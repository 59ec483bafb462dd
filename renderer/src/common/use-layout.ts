/**
 * A graph's boxes for React: from the cache when the graph was laid out before (layout-cache.ts),
 * at once for a small graph, else from a worker (layout.worker.ts) while the page stays
 * responsive. A small graph is laid out here because a worker's round trip would show one frame
 * without it (a node dropped from the palette would blink); that costs a few milliseconds.
 */
import { useEffect, useMemo, useState } from 'react';
import { autoLayout } from './layout.ts';
import type { Box, LayoutInput } from './layout.ts';
import { LayoutCache, layoutKey } from './layout-cache.ts';

/** What the worker is sent: the input with its folded groups as a list (sets do not cross). */
export interface LayoutRequest {
  id: number;
  input: Omit<LayoutInput, 'collapsed'> & { collapsed: string[] };
}

export interface LayoutReply {
  id: number;
  boxes: [string, Box][];
}

/** Graphs up to this many nodes are laid out on the page's thread. */
export const IN_PAGE_LIMIT = 150;

const cache = new LayoutCache();
const pending = new Map<string, Promise<ReadonlyMap<string, Box>>>();
const waiting = new Map<number, (boxes: ReadonlyMap<string, Box>) => void>();
let nextId = 1;
/** undefined: not started yet; null: none could start here (then layouts run on the page). */
let worker: Worker | null | undefined;

function layoutWorker(): Worker | null {
  if (worker !== undefined) return worker;
  try {
    worker = new Worker(new URL('./layout.worker.ts', import.meta.url), { type: 'module' });
    worker.onmessage = (event: MessageEvent<LayoutReply>) => {
      waiting.get(event.data.id)?.(new Map(event.data.boxes));
      waiting.delete(event.data.id);
    };
    worker.onerror = (event) => {
      console.error(`the layout worker failed (${event.message}): graphs are laid out on the page instead`);
      worker = null;
      for (const settle of waiting.values()) settle(new Map());
      waiting.clear();
    };
  } catch (error) {
    console.error('the layout worker could not start: graphs are laid out on the page instead', error);
    worker = null;
  }
  return worker;
}

/** The input's layout, computed by the worker once per key however many ask for it. */
function layOut(input: LayoutInput, key: string): Promise<ReadonlyMap<string, Box>> {
  const known = pending.get(key);
  if (known) return known;
  const promise = new Promise<ReadonlyMap<string, Box>>((resolve) => {
    const background = layoutWorker();
    if (!background) return resolve(autoLayout(input));
    const id = nextId++;
    waiting.set(id, resolve);
    const request: LayoutRequest = { id, input: { nodes: input.nodes, edges: input.edges, collapsed: [...(input.collapsed ?? [])] } };
    background.postMessage(request);
  }).then((boxes) => {
    pending.delete(key);
    // An empty answer is a worker that died: lay it out here rather than draw nothing.
    const result = boxes.size === 0 && input.nodes.length > 0 ? autoLayout(input) : boxes;
    cache.set(key, result);
    return result;
  });
  pending.set(key, promise);
  return promise;
}

export interface LayoutState {
  /** The latest boxes there are: the input's, or while its own are on their way, the previous input's. */
  boxes: ReadonlyMap<string, Box> | undefined;
  /** Whether `boxes` are the input's own. */
  current: boolean;
}

/** The boxes of `input` (null: no graph yet); keep `input` the same object while the graph is. */
export function useLayout(input: LayoutInput | null): LayoutState {
  const key = useMemo(() => (input ? layoutKey(input) : null), [input]);
  const [arrived, setArrived] = useState<{ key: string; boxes: ReadonlyMap<string, Box> } | null>(null);
  const ready = useMemo(() => {
    if (!input || key === null) return undefined;
    const cached = cache.get(key);
    if (cached || input.nodes.length > IN_PAGE_LIMIT) return cached;
    const boxes = autoLayout(input);
    cache.set(key, boxes);
    return boxes;
  }, [input, key]);
  useEffect(() => {
    if (ready || !input || key === null) return;
    let live = true;
    void layOut(input, key).then((boxes) => live && setArrived({ key, boxes }));
    return () => {
      live = false;
    };
  }, [input, key, ready]);
  if (ready) return { boxes: ready, current: true };
  return { boxes: arrived?.boxes, current: arrived !== null && arrived.key === key };
}
