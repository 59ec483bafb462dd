/**
 * Where a connection to a host stands, as plain types (the interface shows them as the core
 * reports them).
 */

/** `needs-login`: it can only come back with the user (a prompt). */
export type ConnectionState = 'offline' | 'connecting' | 'online' | 'needs-login' | 'closed';

/** A cluster's connection state as users see it. */
export interface ClusterStatus {
  destination: string;
  state: ConnectionState;
  detail: string | null;
  /** When the host last answered (ms since the epoch). */
  lastSeen: number | null;
}
