/** Shapes of what the core answers (core/api/service.ts), as the interface uses them. */
import type { WorkflowIssue } from '../../core/api/contract.ts';

export type { WorkflowIssue };

export type TaskState = 'waiting' | 'ready' | 'submitted' | 'running' | 'succeeded' | 'cached' | 'failed' | 'blocked' | 'cancelled';
export const TASK_STATES: TaskState[] = ['waiting', 'ready', 'submitted', 'running', 'succeeded', 'cached', 'failed', 'blocked', 'cancelled'];

export interface OpenedWorkflow {
  file: string;
  text: string;
  version: string;
  value: Record<string, unknown> | null;
  issues: WorkflowIssue[];
  layout: Record<string, { x: number; y: number }>;
}

export interface RunSummary {
  id: string;
  name: string;
  file: string;
  state: string;
  createdAt: number;
  endedAt: number | null;
  counts: Partial<Record<TaskState, number>>;
}

export interface GraphTask {
  id: string;
  path: string;
  after: string[];
  target: string;
  vars: Record<string, unknown>;
  description?: string;
}

export interface RunGraph {
  run: string;
  targets: Record<string, { type: string; host?: string }>;
  tasks: GraphTask[];
}

export interface AttemptInfo {
  n: number;
  state: string;
  target: string;
  host: string;
  jobId: string | null;
  schedulerState?: string | null;
  submittedAt: number | null;
  startedAt: number | null;
  endedAt: number | null;
  exitCode: number | null;
  signal?: string | null;
  reason?: string | null;
  cwd?: string;
}

export interface TaskStatus {
  id: string;
  state: TaskState;
  attempts: number;
  reason: string | null;
}

export interface RunStatus {
  run: { id: string; name: string; file: string; state: string; createdAt: number; endedAt: number | null };
  counts: Record<TaskState, number>;
  clusters: { destination: string; state: string; lastSeen: number | null; detail: string | null; at: number }[];
  tasks: TaskStatus[];
}

export interface ClusterStatus {
  destination: string;
  state: string;
  detail: string | null;
  lastSeen: number | null;
}

export type Prompt =
  | { id: string; kind: 'host-key'; host: string; port: number; keyType: string; fingerprint: string; at: number }
  | { id: string; kind: 'login'; host: string; user: string; name: string; instructions: string; prompts: { prompt: string; echo: boolean }[]; at: number }
  | { id: string; kind: 'passphrase'; host: string; user: string; keyFile: string; at: number };

export type ServiceEvent =
  | { type: 'task'; runId: string; taskId: string; from: TaskState; to: TaskState; attempt: number | null; detail: string | null; at: number }
  | { type: 'attempt'; runId: string; taskId: string; attempt: number }
  | { type: 'job'; runId: string; taskId: string; attempt: number; jobId: string }
  | { type: 'run'; runId: string; state: string }
  | { type: 'explain'; runId: string; taskId: string }
  | { type: 'cluster'; status: ClusterStatus }
  | { type: 'prompt'; prompt: Prompt }
  | { type: 'prompt-closed'; id: string }
  | { type: 'log'; follow: string; runId: string; taskId: string; attempt: number; stream: 'stdout' | 'stderr'; text: string; reset: boolean };
