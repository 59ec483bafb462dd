/**
 * The workflows `npm run bench:ui` opens: layers of distinct tasks (no sweep, so nothing folds
 * into one node), each task after two tasks of the layer before it, as a pipeline of many
 * independent steps looks to the interface.
 */

export interface LayeredShape {
  layers: number;
  width: number;
}

/** `l07_t042`: the layer and the place in it, zero-padded so names sort in order. */
export function taskName(layer: number, index: number): string {
  return `l${String(layer).padStart(2, '0')}_t${String(index).padStart(3, '0')}`;
}

/** The layer a task name of `taskName` gives, or undefined for any other name. */
export function layerOf(name: string): number | undefined {
  const match = /^l(\d+)_t(\d+)$/.exec(name);
  return match ? Number(match[1]) : undefined;
}

/** The workflow file's text: `layers × width` tasks that run `true`. */
export function layeredWorkflow(name: string, { layers, width }: LayeredShape): string {
  const lines = [`version: 1`, `name: ${name}`, `defaults: { retries: 0 }`, `targets: { local: { type: local, max_parallel: 4 } }`, `tasks:`];
  for (let layer = 0; layer < layers; layer++) {
    for (let index = 0; index < width; index++) {
      // Each task after the one in its place and the next (wrapping) of the layer before: every
      // layer is wired to the next, and no two tasks share both upstreams.
      const after = layer === 0 ? '' : `, after: [${taskName(layer - 1, index)}, ${taskName(layer - 1, (index + 1) % width)}]`;
      lines.push(`  ${taskName(layer, index)}: { run: "true"${after} }`);
    }
  }
  return `${lines.join('\n')}\n`;
}
