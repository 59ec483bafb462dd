import { useCallback, useEffect, useState } from 'react';
import { request } from './api.ts';
import { useApi, useNotify } from './common/context.ts';
import { ago } from './common/format.ts';
import type { ClusterQueue, ClusterStatus } from '../../core/api/types.ts';

/** The jobs themselves, folded under their count. */
function JobList({ queue, destination }: { queue: ClusterQueue | string | undefined; destination: string }) {
  if (queue === undefined || typeof queue === 'string' || queue.list.length === 0) return null;
  const total = Object.values(queue.jobs).reduce((sum, n) => sum + n, 0);
  return (
    <details>
      <summary>
        {total} job{total === 1 ? '' : 's'}
      </summary>
      <table className="table" aria-label={`Jobs on ${destination}`}>
        <tbody>
          {queue.list.map((job) => (
            <tr key={job.id}>
              <td className="mono">{job.id}</td>
              <td>{job.state.toLowerCase()}</td>
              <td>{job.reason === 'None' ? '' : job.reason}</td>
              <td className="mono">{job.name}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {total > queue.list.length && <p className="hint">and {total - queue.list.length} more</p>}
    </details>
  );
}

/** Every cluster this core talks to (or recent runs used): online or not, when last seen, connect. */
export function ClustersView() {
  const api = useApi();
  const notify = useNotify();
  const [clusters, setClusters] = useState<ClusterStatus[]>([]);
  const [destination, setDestination] = useState('');
  const [queues, setQueues] = useState<Record<string, ClusterQueue | string>>({});
  const [, tick] = useState(0);

  const refresh = useCallback(() => {
    request(api, 'clusters.list', {})
      .then(setClusters)
      .catch((error: Error) => notify('error', error.message));
  }, [api, notify]);

  useEffect(() => {
    refresh();
    const off = api.onEvent((event) => {
      if (event.type === 'cluster') setClusters((list) => [...list.filter((c) => c.destination !== event.status.destination), event.status].sort((a, b) => a.destination.localeCompare(b.destination)));
    });
    const timer = setInterval(() => tick((n) => n + 1), 5000);
    return () => {
      off();
      clearInterval(timer);
    };
  }, [api, refresh]);

  // Each online cluster's queue, kept live: looked at every 10 s, and a moment after any task
  // of a run changes state (a job submitted or ended shows without waiting for the next look).
  const online = clusters.filter((c) => c.state === 'online').map((c) => c.destination).join('\n');
  useEffect(() => {
    if (!online) return;
    let live = true;
    let soon: ReturnType<typeof setTimeout> | undefined;
    const look = () => {
      for (const name of online.split('\n')) {
        request(api, 'clusters.queue', { destination: name })
          .then((queue) => live && setQueues((all) => ({ ...all, [name]: queue })))
          .catch((error: Error) => live && setQueues((all) => ({ ...all, [name]: error.message })));
      }
    };
    look();
    const timer = setInterval(look, 10_000);
    const off = api.onEvent((event) => {
      if (event.type !== 'task' || soon !== undefined) return;
      soon = setTimeout(() => {
        soon = undefined;
        look();
      }, 1000);
    });
    return () => {
      live = false;
      off();
      clearInterval(timer);
      clearTimeout(soon);
    };
  }, [api, online]);

  const queueText = (name: string): string => {
    const queue = queues[name];
    if (queue === undefined) return '';
    if (typeof queue === 'string') return queue;
    if (!queue.slurm) return 'no SLURM';
    const entries = Object.entries(queue.jobs);
    return entries.length === 0 ? 'no jobs' : entries.map(([state, n]) => `${n} ${state.toLowerCase()}`).join(', ');
  };

  const connect = (target: string) => {
    request(api, 'clusters.connect', { destination: target })
      .then((status) => {
        setClusters((list) => [...list.filter((c) => c.destination !== status.destination), status].sort((a, b) => a.destination.localeCompare(b.destination)));
        notify('info', `${target}: ${status.state}`);
      })
      .catch((error: Error) => {
        notify('error', `${target}: ${error.message}`);
        refresh();
      });
  };

  return (
    <div className="page">
      <h1>Clusters</h1>
      <form
        className="row"
        onSubmit={(event) => {
          event.preventDefault();
          if (destination.trim()) connect(destination.trim());
        }}
      >
        <label htmlFor="cluster-destination">Connect to</label>
        <input id="cluster-destination" className="mono" value={destination} placeholder="user@login.cluster.org or an ~/.ssh/config Host" onChange={(event) => setDestination(event.target.value)} />
        <button type="submit" className="primary" disabled={!destination.trim()}>
          Connect
        </button>
      </form>
      {clusters.length === 0 ? (
        <p className="hint">No clusters yet: runs with ssh or slurm targets add theirs here.</p>
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th>Cluster</th>
              <th>State</th>
              <th>Last seen</th>
              <th>Your jobs</th>
              <th>Detail</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {clusters.map((cluster) => (
              <tr key={cluster.destination}>
                <td className="mono">{cluster.destination}</td>
                <td>
                  <span className={`pill cluster-${cluster.state}`}>{cluster.state}</span>
                </td>
                <td>{ago(cluster.lastSeen)}</td>
                <td aria-label={`ClusterQueue of ${cluster.destination}`}>{cluster.state === 'online' ? queueText(cluster.destination) : ''}</td>
                <td>
                  {cluster.detail ?? ''}
                  {cluster.state === 'online' && <JobList queue={queues[cluster.destination]} destination={cluster.destination} />}
                </td>
                <td>
                  {cluster.state !== 'online' && (
                    <button className="small" onClick={() => connect(cluster.destination)}>
                      Connect
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
