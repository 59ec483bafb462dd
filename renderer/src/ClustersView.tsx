import { useCallback, useEffect, useState } from 'react';
import { request } from './api.ts';
import { useApi, useNotify } from './common/context.ts';
import { ago } from './common/format.ts';
import type { ClusterStatus } from './types.ts';

/** Every cluster this core talks to (or recent runs used): online or not, when last seen, connect. */
export function ClustersView() {
  const api = useApi();
  const notify = useNotify();
  const [clusters, setClusters] = useState<ClusterStatus[]>([]);
  const [destination, setDestination] = useState('');
  const [queues, setQueues] = useState<Record<string, { slurm: boolean; jobs: Record<string, number> } | string>>({});
  const [, tick] = useState(0);

  const refresh = useCallback(() => {
    request<ClusterStatus[]>(api, 'clusters.list', {})
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

  // Each online cluster's queue: the user's jobs by state, looked at every 30 s.
  const online = clusters.filter((c) => c.state === 'online').map((c) => c.destination).join('\n');
  useEffect(() => {
    if (!online) return;
    let live = true;
    const look = () => {
      for (const name of online.split('\n')) {
        request<{ slurm: boolean; jobs: Record<string, number> }>(api, 'clusters.queue', { destination: name })
          .then((queue) => live && setQueues((all) => ({ ...all, [name]: queue })))
          .catch((error: Error) => live && setQueues((all) => ({ ...all, [name]: error.message })));
      }
    };
    look();
    const timer = setInterval(look, 30_000);
    return () => {
      live = false;
      clearInterval(timer);
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
    request<ClusterStatus>(api, 'clusters.connect', { destination: target })
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
                <td aria-label={`Queue of ${cluster.destination}`}>{cluster.state === 'online' ? queueText(cluster.destination) : ''}</td>
                <td>{cluster.detail ?? ''}</td>
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
