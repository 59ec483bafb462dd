import { SshConnection } from '../../ssh/connection.ts';
import type { SshConnectionOptions } from '../../ssh/connection.ts';
import type { ClusterStatus } from '../../ssh/status.ts';

export type { ClusterStatus } from '../../ssh/status.ts';

/**
 * The SSH connections of this process: one per destination, shared by every target, run,
 * transfer and terminal that talks to it. Listeners hear each connection's state changes.
 */
export class Clusters {
  private readonly options: Omit<SshConnectionOptions, 'onState'>;
  private readonly connections = new Map<string, SshConnection>();
  private readonly listeners = new Map<string, Set<(status: ClusterStatus) => void>>();
  private readonly details = new Map<string, string | null>();
  private readonly everyListener = new Set<(status: ClusterStatus) => void>();

  constructor(options: Omit<SshConnectionOptions, 'onState'>) {
    this.options = options;
  }

  connection(destination: string): SshConnection {
    let connection = this.connections.get(destination);
    if (!connection) {
      connection = new SshConnection(destination, {
        ...this.options,
        onState: (_state, detail) => {
          this.details.set(destination, detail);
          const status = this.status(destination);
          for (const listener of this.listeners.get(destination) ?? []) listener(status);
          for (const listener of this.everyListener) listener(status);
        },
      });
      this.connections.set(destination, connection);
    }
    return connection;
  }

  status(destination: string): ClusterStatus {
    const connection = this.connection(destination);
    return { destination, state: connection.state, detail: this.details.get(destination) ?? null, lastSeen: connection.lastSeen };
  }

  list(): ClusterStatus[] {
    return [...this.connections.keys()].map((destination) => this.status(destination));
  }

  /** Calls `listener` on each state change of the destination's connection; returns the unsubscribe. */
  watch(destination: string, listener: (status: ClusterStatus) => void): () => void {
    let set = this.listeners.get(destination);
    if (!set) this.listeners.set(destination, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }

  /** Calls `listener` on each state change of every connection; returns the unsubscribe. */
  watchAll(listener: (status: ClusterStatus) => void): () => void {
    this.everyListener.add(listener);
    return () => this.everyListener.delete(listener);
  }

  close(): void {
    for (const connection of this.connections.values()) connection.close();
    this.connections.clear();
  }
}
