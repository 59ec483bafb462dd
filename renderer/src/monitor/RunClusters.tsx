import { ago, when } from '../common/format.ts';
import { useRun } from './monitor-context.ts';

/** The clusters of a run that goes on and are not online (of an interrupted run: all): their last known state, since when, and when they last answered. */
export function RunClusters() {
  const clusters = useRun((state) => state.clusters);
  const runState = useRun((state) => state.info?.state);
  const going = runState === 'running';
  // An interrupted run's clusters are watched by nobody; an ended run's no longer matter.
  const shown = going ? clusters.filter((cluster) => cluster.state !== 'online') : runState === 'interrupted' ? clusters : [];
  if (shown.length === 0) return null;
  return (
    <>
      {shown.map((cluster) => (
        <span key={cluster.destination} className="pill cluster-away" role="status" aria-label={`Cluster ${cluster.destination}`} title={cluster.detail ?? undefined}>
          {cluster.destination}: {going ? cluster.state : 'not watched'} since {when(cluster.at)}
          {cluster.lastSeen ? ` · last answered ${ago(cluster.lastSeen)}` : ''}
        </span>
      ))}
    </>
  );
}
