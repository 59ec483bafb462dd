/**
 * What the contract's methods answer and what hosts push, declared once: the core's handlers
 * are checked against these types (core/api/service.ts), and the interfaces (the renderer, the
 * desktop app) import them as types. Plain types over plain types only (no Node modules), so a
 * browser build can read them.
 */
import type { ErrorCode } from '../model/errors.ts';
import type { RunForecast } from '../model/forecast.ts';
import type { RunDiff } from './diff.ts';
import type { Example, FolderEntry } from './files.ts';
import type { InterruptedRun, LocalRestart } from './reattach.ts';
import type { TaskState } from '../model/task-states.ts';
import type { TargetSpec } from '../model/types.ts';
import type { WalltimeAdvice } from '../model/walltime.ts';
import type { Provenance } from '../util/provenance.ts';
import type { PublishedValues } from '../model/values.ts';
import type { RunnerEvent } from '../scheduler/events.ts';
import type { HostKeyDecision, LoginPrompt } from '../ssh/ports.ts';
import type { ClusterStatus } from '../ssh/status.ts';
import type { AttemptRecord, ClusterRecord, RunState, TaskStatus } from '../store/records.ts';

export type { AttemptRecord, ClusterRecord, ClusterStatus, ErrorCode, Example, FolderEntry, InterruptedRun, LocalRestart, Provenance, RunDiff, RunForecast, RunnerEvent, RunState, TaskState, TaskStatus, WalltimeAdvice };

export type Result<T> = { ok: true; value: T } | { ok: false; error: ApiError };

export interface ApiError {
  /** Stable, for programs: one of core/model/errors.ts's `ERROR_CODES`, which says what each means. */
  code: ErrorCode;
  message: string;
  /** For `invalid-workflow`: each problem with its place. */
  issues?: WorkflowIssue[];
}

/** A problem in a workflow file: where (`path` into the parsed file, and line/column), and what. */
export interface WorkflowIssue {
  file: string;
  path: (string | number)[];
  line?: number;
  column?: number;
  message: string;
}

/** Node positions on the editor's canvas, by node path. */
export type Layout = Record<string, { x: number; y: number }>;

/**
 * A run's state as shown: `interrupted` is a run left `running` that no live process drives
 * (resume it).
 */
export type ShownRunState = RunState | 'interrupted';

export interface OpenedWorkflow {
  /** Absolute. */
  file: string;
  text: string;
  /** What a save names as the version it was made from. */
  version: string;
  /** The file's data; null when it does not parse (then `text` and `issues` say why). */
  value: Record<string, unknown> | null;
  issues: WorkflowIssue[];
  layout: Layout;
  /** The git repository holding the file (null: none), and whether the editor's saves are committed to it. */
  git: GitSaving;
}

export interface GitSaving {
  repository: string | null;
  commitOnSave: boolean;
}

export interface SavedWorkflow {
  file: string;
  text: string;
  version: string;
  issues: WorkflowIssue[];
  /** With "commit on save": the commit made (or why none was). */
  commit?: { commit: string; message: string } | { error: string };
}

export interface RecentFile {
  file: string;
  at: number;
  /** Its latest run: how it stands or ended. */
  lastRun?: { id: string; state: ShownRunState; createdAt: number; endedAt: number | null };
}

/** A run in a list of them (`runs.list`): its header (long param values cut short) and how many tasks are in each state. */
export interface RunSummary extends Omit<RunHeader, 'stopped'> {
  counts: Record<TaskState, number>;
}

export interface GraphTask {
  id: string;
  /** Where it was declared (`windows/production`), shared by a sweep's instances. */
  path: string;
  after: string[];
  target: string;
  vars: Record<string, unknown>;
  description?: string;
  /** A loop's control (a group that repeats): its condition and bounds. Its iterations' tasks are added to the run as it goes ('grew' events). */
  loop?: { until: string; max: number; onMax: 'fail' | 'succeed'; /** How it goes on from iteration to iteration: "advances only while Flotilla is connected: …". */ advance: string };
  /** A task in a loop's iteration (at any depth: `md#2/models[1]` is in md's iteration 2): the loop's control id and the iteration (from 0). */
  iteration?: { of: string; index: number };
  /** Its `when` conditions, as written. */
  when?: string[];
  /** In an iteration a resubmit discarded (it waits to be made again, or was skipped). */
  discarded?: true;
}

export interface RunGraph {
  run: string;
  targets: Record<string, TargetSpec>;
  /** The run's tasks in order, from the `from`th (0 unless asked: a run that grew gives only what it added). */
  tasks: GraphTask[];
  from: number;
}

/** A run as status views head it. `stopped`: for an interrupted run, the error its last drive stopped on (if it stopped on one). */
export interface RunHeader {
  id: string;
  name: string;
  file: string;
  state: ShownRunState;
  createdAt: number;
  endedAt: number | null;
  stopped: string | null;
  /** The parameters it ran with. */
  params: Record<string, unknown>;
  /** Where it came from: the file's hash, git commit and state, Flotilla's version, host, user (null: a run of an older version). */
  provenance: Provenance | null;
}

export interface RunStatus {
  run: RunHeader;
  counts: Record<TaskState, number>;
  clusters: ClusterRecord[];
  tasks: TaskStatus[];
}

/** How a run stands or ended, cheaply (no task list): its counts and its first failures. */
export interface RunOutcome {
  run: RunHeader;
  counts: Record<TaskState, number>;
  /**
   * The first failed tasks in the run's order, each with why, whether an attempt of it ran (a
   * condition that could not be decided fails a task that never ran), and its latest attempt's
   * last line of stderr.
   */
  failures: { task: string; reason: string | null; ran: boolean; stderr: string | null }[];
}

/** An attempt in a run's list of them (`runs.attempts`). */
export interface RunAttempt {
  task: string;
  n: number;
  state: AttemptRecord['state'];
  target: string;
  host: string;
  jobId: string | null;
  submittedAt: number;
  startedAt: number | null;
  endedAt: number | null;
  exitCode: number | null;
}

export interface ClusterQueue {
  /** Whether the host has SLURM (`squeue`) at all. */
  slurm: boolean;
  /** The user's jobs by state. */
  jobs: Record<string, number>;
  /** The first of them, one by one. */
  list: { id: string; state: string; reason: string; name: string }[];
}

export type Prompt =
  | { id: string; kind: 'host-key'; host: string; port: number; keyType: string; fingerprint: string; at: number }
  | { id: string; kind: 'login'; host: string; user: string; name: string; instructions: string; prompts: LoginPrompt[]; at: number }
  | { id: string; kind: 'passphrase'; host: string; user: string; keyFile: string; at: number };

/** What answers each kind: a decision for a host key, strings for the others (none: cancelled). */
export type PromptAnswer = { decision: HostKeyDecision } | { answers: string[] } | { cancel: true };

/** New text of a followed log (`logs.follow`), to the connection that follows it only. */
export interface LogEvent {
  type: 'log';
  follow: string;
  /** The host connection (web socket, window) that asked for it. */
  session: string;
  runId: string;
  taskId: string;
  attempt: number;
  stream: 'stdout' | 'stderr';
  text: string;
  /** The text starts a new attempt's output: drop what was shown before. */
  reset: boolean;
}

/**
 * Worth a desktop notification (core/api/notifier.ts): a run's first failure, its end, or what
 * ended while Flotilla was away (`runId` null: any run).
 */
export interface RunNotice {
  type: 'notice';
  kind: 'first-failure' | 'ended' | 'away';
  runId: string | null;
  title: string;
  body: string;
  /** For `ended`: how. */
  state?: RunState | null;
}

/** What hosts push to their interfaces. */
export type ServiceEvent =
  | RunnerEvent
  | RunNotice
  /** A run this process drove stopped on an error (the run is left interrupted). */
  | { type: 'run-stopped'; runId: string; message: string }
  | { type: 'cluster'; status: ClusterStatus }
  | { type: 'prompt'; prompt: Prompt }
  | { type: 'prompt-closed'; id: string }
  | LogEvent;

/** Each method's answer, by name (the arguments are core/api/contract.ts's schemas). */
export interface MethodResults {
  'workflows.open': OpenedWorkflow;
  'workflows.save': SavedWorkflow;
  'workflows.check': { issues: WorkflowIssue[] };
  'workflows.recent': RecentFile[];
  'workflows.examples': Example[];
  'workflows.example': { file: string };
  /** `more`: the folder holds more entries than listed. */
  'files.list': { dir: string; parent: string | null; entries: FolderEntry[]; more: boolean };
  /** `advice`: cluster tasks whose time limit is likely too short (as `workflows.advice`). */
  'workflows.validate': { name: string; tasks: number; edges: number; targets: string[]; advice: WalltimeAdvice[] };
  'workflows.advice': WalltimeAdvice[];
  'workflows.commitOnSave': GitSaving;
  'runs.list': RunSummary[];
  'runs.status': RunStatus;
  'runs.outcome': RunOutcome;
  'runs.graph': RunGraph;
  'runs.attempts': RunAttempt[];
  'runs.forecast': RunForecast;
  'runs.diff': RunDiff;
  'tasks.attempts': AttemptRecord[];
  'tasks.values': { values: PublishedValues; run: string; attempt: number } | null;
  /** `advice`: cluster tasks whose time limit is likely too short (as `workflows.advice`). */
  'runs.start': { run: string; name: string; tasks: number; advice: WalltimeAdvice[] };
  'runs.cancel': { run: string; ended: boolean };
  /** `open`: tasks not ended (none: nothing was driven). */
  'runs.resume': { run: string; open: number };
  /** `attached`: the runs taken up; `waiting`: those with tasks to run here, until the user says (`local` is 'ask'). */
  'runs.reattach': { attached: string[]; waiting: InterruptedRun[]; local: LocalRestart };
  'runs.restartLocal': { attached: string[]; local: LocalRestart };
  /**
   * `tasks`: those named (or the failed ones); `reruns`: all that run again; `discards`: the
   * loop iterations discarded because an earlier one runs again (`md: iterations 3–5`);
   * `updated`: those whose spec was reloaded.
   */
  'runs.resubmit': { run: string; tasks: string[]; reruns: string[]; discards: string[]; updated: string[] };
  /**
   * A stream of an attempt (the latest unless one is named) from `offset`: `text` up to the new
   * `offset` (in bytes; as text cut at whole characters, or base64 when asked). `ended`: the attempt has ended, so its log is
   * whole here. `host`: read on that host (a cluster attempt that runs), where `size` is unknown (null).
   */
  'tasks.logs': { attempt: number; ended: boolean; host: string | null; text: string; offset: number; size: number | null };
  'logs.follow': { follow: string };
  'logs.unfollow': { stopped: boolean };
  'terminals.open': { terminal: string; notices: string[] };
  'clusters.list': ClusterStatus[];
  'clusters.connect': ClusterStatus;
  'clusters.queue': ClusterQueue;
  'prompts.list': Prompt[];
  'prompts.answer': { answered: boolean };
}
