import { useEffect, useMemo, useRef } from 'react';
import { useStoreApi } from '@xyflow/react';
import { paintScene, readPalette } from './paint-scene.ts';
import type { Scene } from './scene.ts';
import { useColorScheme } from './use-color-scheme.ts';

interface GraphCanvasProps {
  scene: Scene;
  /** Whether the graph is drawn here (the canvas level, level.ts); else the canvas is empty and hidden. */
  active: boolean;
  /** The node outlined as selected. */
  selected: string | null;
}

/**
 * The canvas level: the whole graph on one <canvas> over React Flow's pane (a child of
 * <ReactFlow>), following its view. It paints when the view moves, at most once a frame, from
 * React Flow's store directly: a pan renders no React component. It takes no pointer events:
 * wheeling and dragging still reach React Flow's pane, and a click is hit-tested by the view
 * (use-canvas-click.ts). `data-drawn-nodes` says how many nodes the last paint drew.
 */
export function GraphCanvas({ scene, active, selected }: GraphCanvasProps) {
  const store = useStoreApi();
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const probesRef = useRef<HTMLDivElement>(null);
  const scheme = useColorScheme();
  const styles = useMemo(() => [...new Set(scene.nodes.map((node) => node.style))], [scene]);

  useEffect(() => {
    const canvas = canvasRef.current;
    const context = canvas?.getContext('2d');
    if (!active || !canvas || !context || !probesRef.current) return;
    // `scheme` is why this runs again on a change of theme: the colours are read here.
    const palette = readPalette(probesRef.current);
    let frame = 0;
    const paint = () => {
      frame = 0;
      const { transform, width, height } = store.getState();
      const ratio = devicePixelRatio || 1;
      if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
        canvas.width = Math.round(width * ratio);
        canvas.height = Math.round(height * ratio);
      }
      canvas.dataset.drawnNodes = String(paintScene(context, scene, { transform, width, height }, palette, selected));
    };
    // At once: the first frame at this level already shows the graph.
    paint();
    const unsubscribe = store.subscribe((state, previous) => {
      if (state.transform !== previous.transform || state.width !== previous.width || state.height !== previous.height) frame ||= requestAnimationFrame(paint);
    });
    return () => {
      unsubscribe();
      cancelAnimationFrame(frame);
      context.setTransform(1, 0, 0, 1, 0, 0);
      context.clearRect(0, 0, canvas.width, canvas.height);
      canvas.dataset.drawnNodes = '0';
    };
  }, [active, scene, selected, store, scheme]);

  return (
    <>
      <canvas ref={canvasRef} className="graph-canvas" hidden={!active} data-testid="graph-canvas" data-drawn-nodes="0" />
      {/* Elements styled as the nodes are, never shown: the canvas takes their colours. */}
      <div className="graph-canvas-probes" ref={probesRef} aria-hidden>
        {styles.map((style) => (
          <div key={style} className={style} data-style={style} />
        ))}
        <div className="graph-canvas-edge" data-style="edge" />
        <div className="graph-canvas-selected" data-style="selected" />
      </div>
    </>
  );
}
