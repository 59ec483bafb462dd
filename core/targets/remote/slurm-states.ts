/**
 * SLURM's job states, as data: where each leaves an attempt. `squeue` shows a job while it is
 * queued or running and for MinJobAge after it ends; after that only the attempt folder's
 * markers tell what happened (sacct may be disabled).
 */
export type SlurmPhase = 'queued' | 'running' | 'ended';

export interface SlurmStateInfo {
  phase: SlurmPhase;
  /** For ended states: how the attempt counts. */
  outcome?: 'succeeded' | 'failed' | 'cancelled';
  /** A short account for the user. */
  meaning: string;
}

export const SLURM_STATES: Readonly<Record<string, SlurmStateInfo>> = {
  PENDING: { phase: 'queued', meaning: 'waiting in the queue' },
  REQUEUED: { phase: 'queued', meaning: 'put back in the queue' },
  REQUEUE_HOLD: { phase: 'queued', meaning: 'put back in the queue and held' },
  REQUEUE_FED: { phase: 'queued', meaning: 'put back in the queue by the federation' },
  CONFIGURING: { phase: 'queued', meaning: 'nodes are booting for it' },
  RESV_DEL_HOLD: { phase: 'queued', meaning: 'held: its reservation was deleted' },
  RUNNING: { phase: 'running', meaning: 'running' },
  COMPLETING: { phase: 'running', meaning: 'finishing (processes still being cleaned up)' },
  SUSPENDED: { phase: 'running', meaning: 'suspended' },
  STOPPED: { phase: 'running', meaning: 'stopped by a signal' },
  SIGNALING: { phase: 'running', meaning: 'being signalled' },
  STAGE_OUT: { phase: 'running', meaning: 'staging out' },
  RESIZING: { phase: 'running', meaning: 'changing size' },
  COMPLETED: { phase: 'ended', outcome: 'succeeded', meaning: 'completed with exit code 0' },
  FAILED: { phase: 'ended', outcome: 'failed', meaning: 'ended with a non-zero exit code' },
  TIMEOUT: { phase: 'ended', outcome: 'failed', meaning: 'reached its time limit' },
  OUT_OF_MEMORY: { phase: 'ended', outcome: 'failed', meaning: 'ran out of memory' },
  NODE_FAIL: { phase: 'ended', outcome: 'failed', meaning: 'its node failed' },
  BOOT_FAIL: { phase: 'ended', outcome: 'failed', meaning: 'its node failed to boot' },
  PREEMPTED: { phase: 'ended', outcome: 'failed', meaning: 'preempted by another job' },
  DEADLINE: { phase: 'ended', outcome: 'failed', meaning: 'missed its deadline' },
  SPECIAL_EXIT: { phase: 'ended', outcome: 'failed', meaning: 'ended in a special exit state' },
  REVOKED: { phase: 'ended', outcome: 'failed', meaning: 'revoked (run on another cluster of the federation)' },
  CANCELLED: { phase: 'ended', outcome: 'cancelled', meaning: 'cancelled' },
};

/** The state's entry; an unknown name (a newer SLURM) counts as running until it leaves the queue. */
export function slurmState(name: string): SlurmStateInfo {
  return SLURM_STATES[name] ?? { phase: 'running', meaning: `in state ${name}` };
}
