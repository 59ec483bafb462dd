/**
 * Where a node's two handles are, declared on the flow node rather than left to React Flow to
 * measure. React Flow draws every node it has not measured yet, visible or not, to find its
 * handles: handing it 10,000 nodes meant mounting 10,000 elements (seconds) before culling
 * all but a hundred, on opening a big graph and again on every return from the canvas level.
 * Declared, the handles are known at once and only the nodes in view are mounted; the ones
 * drawn are measured as before. The places are those the nodes' styles give a handle (6 px,
 * centred on the middle of the left and right sides). No React here.
 */
import { Position } from '@xyflow/react';
import type { NodeHandle } from '@xyflow/react';

/** A handle's side, in pixels (React Flow's stylesheet; our boxes are border-box). */
export const HANDLE_SIZE = 6;

const known = new Map<string, NodeHandle[]>();

/** The target handle in the middle of the left side and the source in the middle of the right, of a `width` × `height` node; one array per size. */
export function sideHandles(width: number, height: number): NodeHandle[] {
  const key = `${width}x${height}`;
  let handles = known.get(key);
  if (!handles) {
    const half = HANDLE_SIZE / 2;
    handles = [
      { type: 'target', position: Position.Left, x: -half, y: height / 2 - half, width: HANDLE_SIZE, height: HANDLE_SIZE },
      { type: 'source', position: Position.Right, x: width - half, y: height / 2 - half, width: HANDLE_SIZE, height: HANDLE_SIZE },
    ];
    known.set(key, handles);
  }
  return handles;
}
