/**
 * The keys of the workflow file, in one place. resources/workflow.schema.json describes
 * the same keys for editors; a test keeps the two in step.
 */

/** Top-level keys of a workflow file. */
export const FILE_KEYS = ['version', 'name', 'description', 'targets', 'defaults', 'params', 'tasks'] as const;

/** Keys a group passes down to its children (each may override). */
export const INHERITED_KEYS = ['cwd', 'env', 'target', 'resources', 'retries', 'shell', 'cache'] as const;

/** Keys only a task (a node with `run`) may have. */
export const TASK_ONLY_KEYS = ['run', 'inputs', 'outputs'] as const;

/** Keys only a group (a node with `tasks` or `include`) may have. */
export const GROUP_ONLY_KEYS = ['tasks', 'include', 'repeat'] as const;

/** Keys of a group's `repeat`. */
export const REPEAT_KEYS = ['until', 'max', 'on_max'] as const;

/** Keys both tasks and groups may have. */
export const COMMON_KEYS = ['after', 'when', 'foreach', 'zip', 'description'] as const;

/** Every key of a task or group node. */
export const NODE_KEYS = [...TASK_ONLY_KEYS, ...GROUP_ONLY_KEYS, ...INHERITED_KEYS, ...COMMON_KEYS] as const;

/** Keys of `defaults`: what the top level passes down. */
export const DEFAULTS_KEYS = INHERITED_KEYS;

/** Keys of a target declaration. */
export const TARGET_KEYS = ['type', 'max_parallel', 'description', 'host', 'root', 'poll', 'array_limit', 'checksum'] as const;

/** Keys only remote targets (ssh, slurm) take. */
export const REMOTE_TARGET_KEYS = ['host', 'root', 'poll', 'checksum'] as const;

/** Target types this version can run. */
export const TARGET_TYPES = ['local', 'ssh', 'slurm'] as const;

/** Shells the local target accepts for `shell` (they must understand `-c` and `trap`). */
export const POSIX_SHELLS = ['sh', 'bash', 'dash', 'zsh', 'ksh', 'mksh', 'ash', 'busybox'] as const;

/** Names templates provide besides sweep variables. */
export const RESERVED_VARIABLES = ['params', 'run', 'task', 'repeat'] as const;
