/**
 * The planned form of a workflow: what the scheduler runs. Produced by `loadWorkflow`
 * from a workflow file (see README "Workflow file"), after validation and expansion of
 * groups, sweeps and includes. Plain data only, so it can be stored and sent as JSON.
 */

/** Scheduler resources of a task, normalized. Unset keys are absent. */
export interface Resources {
  /** CPU cores per task (SLURM `--cpus-per-task`). */
  cpus?: number;
  /** Memory in megabytes (SLURM `--mem`). */
  memoryMb?: number;
  /** Wall-clock limit in seconds; enforced locally, `--time` on SLURM. */
  timeSeconds?: number;
  /** GPUs: a count or a `type:count` string (SLURM `--gpus`). */
  gpus?: string;
  partition?: string;
  account?: string;
  qos?: string;
  /** Node count or range, e.g. `2` or `1-4`. */
  nodes?: string;
  /** Extra scheduler flags passed through verbatim, one per entry. */
  extra?: string[];
}

/** A target (executor) declared in the workflow file. */
export type TargetSpec = LocalTargetSpec | RemoteTargetSpec;

/** This machine. */
export interface LocalTargetSpec {
  name: string;
  type: 'local';
  /** Tasks running at once on this target. */
  maxParallel: number;
}

/** A host reached over SSH: a plain one (`ssh`) or a SLURM cluster's login node (`slurm`). */
export interface RemoteTargetSpec {
  name: string;
  type: 'ssh' | 'slurm';
  /** Attempts handed to it at once (running on `ssh`; queued or running on `slurm`). */
  maxParallel: number;
  /** SSH destination: `[user@]host[:port]` or a `Host` alias of ~/.ssh/config. */
  host: string;
  /** Remote folder under which each run gets its own folder; relative to the remote home. */
  root: string;
  /** Seconds between status polls. */
  pollSeconds: number;
  /** SLURM job arrays: how many elements of one array run at once (`--array=0-N%K`). */
  arrayLimit?: number;
  /** Staging compares files by SHA-256 instead of size and modification time. */
  checksum?: boolean;
}

/** One task instance of a plan: a leaf task after sweeps and groups are expanded. */
export interface TaskSpec {
  /** Unique id: group path joined by `/`, swept instances suffixed `[i]`, e.g. `windows[2]/production`. */
  id: string;
  /** The declared path without instance suffixes, e.g. `windows/production`. */
  path: string;
  /** The shell script, templates rendered. */
  run: string;
  /** Absolute path of a POSIX shell that runs `run` with `-c`. */
  shell: string;
  /** Working folder relative to the run root (POSIX separators), or absolute. `''` is the root. */
  cwd: string;
  /** Environment added to the inherited one, merged down the group tree. */
  env: Record<string, string>;
  target: string;
  resources: Resources;
  /** Further attempts after a failed one. */
  retries: number;
  /** Paths or globs relative to the run root whose content enters the cache hash. */
  inputs: string[];
  /** Paths or globs relative to the task's cwd: a cached result counts while they are as it left them. */
  outputs: string[];
  /**
   * Whether a previous successful attempt of this task of this workflow with the same content
   * hash may stand in: `cache` as written, else whether the task declares outputs (a task that
   * leaves nothing to check, such as one drawing random numbers, runs every time).
   */
  cache: boolean;
  description?: string;
  /** Sweep variables bound for this instance, outermost first. */
  vars: Record<string, unknown>;
  /** Ids of the task instances this one runs after. */
  after: string[];
  /** Conditions it runs on (its enclosing groups' first, then its own): all must hold, else it is skipped. */
  when?: WhenSpec[];
  /**
   * Set on a group that repeats: this task is the loop's control. It never runs an attempt; it
   * waits for the loop's dependencies, then for each iteration's tasks (added to the run as it
   * goes), decides after each iteration whether another one follows, and succeeds (or fails)
   * when the loop ends. Tasks after the group run after it.
   */
  loop?: LoopSpec;
  /** Set on a task of a loop's iteration: the loop's control, and which iteration (from 0). */
  iteration?: IterationOf;
}

/** A task's place in a loop: `md#3/run` is of `md`, iteration 3. */
export interface IterationOf {
  /** The id of the loop's control task. */
  of: string;
  index: number;
  /** On the iteration's first task only: the tasks the loop's `until` reads in this iteration. */
  until?: Record<string, string>;
  /**
   * Set when a resubmit of an earlier iteration discarded this one: the task keeps its row
   * (and its attempts) but waits, held, until the loop makes this iteration again — or is
   * skipped when the loop ends before. Says which resubmit.
   */
  discarded?: string;
}

/** What a node inherits from its enclosing groups (see README "Inherited keys"). */
export interface Inherited {
  cwd: string;
  env: Record<string, string>;
  target: string;
  resources: Resources;
  retries: number;
  shell: string;
  /** Set by `cache` on the task or a group above it; unset: cached when it declares outputs. */
  cache?: boolean | undefined;
  /** Sweep variables bound by enclosing groups. */
  vars: Record<string, unknown>;
}

/**
 * What a run needs to make each iteration of a loop without the workflow file (it may have
 * changed since): the group as written, the settings it inherits, and the ids of tasks outside
 * it that its conditions read. An iteration is expanded as the group would be, with
 * `repeat.index` and `repeat.previous` bound (see core/model/iteration.ts).
 */
export interface LoopSpec {
  /**
   * `repeat`: a group's iterations, one after another, until a condition. `foreach`: a node
   * swept over a value a task publishes (`foreach: { m: "{{ tasks.plan.values.models }}" }`):
   * its instances are made once that value is recorded — a loop of one iteration, whose
   * instances keep the ids a sweep gives (`models[0]`, `models[1]/run`).
   */
  kind: 'repeat' | 'foreach';
  /** The condition that ends the loop, evaluated after each iteration on that iteration's values (`true` for a foreach). */
  until: string;
  /** Most iterations; what happens then is `onMax`'s. */
  max: number;
  onMax: 'fail' | 'succeed';
  /** The group's node as written in its file (its `tasks`, `cwd`, `env`…). */
  group: Record<string, unknown>;
  /** Where it is written (messages about an iteration point there). */
  file: string;
  at: (string | number)[];
  /** What the group inherits from above it, and the variables bound there (an outer loop's `repeat` among them). */
  scope: Inherited;
  /** Tasks outside the group that something inside it reads values of: the name as written → the task's id. */
  outside: Record<string, string>;
  /** A foreach over values: the node's name, and the tasks whose values it reads (the name as written → the task's id). */
  foreach?: { name: string; reads: Record<string, string> };
}

/**
 * A `when` condition as a run keeps it: the expression's text (parsed again where it is
 * evaluated) and, for each task it reads (`tasks.<name>…` as written), that task's id in this
 * instance of the workflow (a sibling in the same sweep instance, say).
 */
export interface WhenSpec {
  expr: string;
  tasks: Record<string, string>;
}

/** A validated, expanded workflow. */
export interface Plan {
  name: string;
  /** Absolute path of the workflow file. */
  file: string;
  /** Absolute folder that relative `cwd` and `inputs` resolve against. */
  root: string;
  params: Record<string, unknown>;
  targets: Record<string, TargetSpec>;
  /** Task instances in a topological order (every task after its dependencies). */
  tasks: TaskSpec[];
}
