import { didYouMean } from './errors.ts';
import type { PathSegment } from './errors.ts';
import { GROUP_ONLY_KEYS, NODE_KEYS, POSIX_SHELLS, REPEAT_KEYS, TASK_ONLY_KEYS } from './keys.ts';
import { MAX_TASKS } from './sweep.ts';
import { RESOURCE_KEYS } from './resources.ts';

/** A structural problem in one node, relative to the node's path. */
export interface NodeProblem {
  path: PathSegment[];
  message: string;
  atKey?: boolean;
}

export type Mapping = Record<string, unknown>;

export function isMapping(value: unknown): value is Mapping {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Checks keys against a list, with a "did you mean" for each unknown one. */
export function checkKeys(raw: Mapping, allowed: readonly string[], what: string, problems: NodeProblem[], prefix: PathSegment[] = []): void {
  for (const key of Object.keys(raw)) {
    if (!allowed.includes(key)) {
      problems.push({ path: [...prefix, key], atKey: true, message: `unknown key '${key}' in ${what}${didYouMean(key, allowed)}` });
    }
  }
}

/** A string or a list of strings, as a list; `undefined` (with a problem) otherwise. */
export function stringList(raw: Mapping, key: string, problems: NodeProblem[]): string[] | undefined {
  const value = raw[key];
  if (value === undefined) return [];
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value as string[];
  problems.push({ path: [key], message: `'${key}' must be a string or a list of strings` });
  return undefined;
}

/** Checks the keys shared by tasks, groups and `defaults` (types only; templates come later). */
export function checkInherited(raw: Mapping, problems: NodeProblem[]): void {
  if (raw.cwd !== undefined && typeof raw.cwd !== 'string') problems.push({ path: ['cwd'], message: "'cwd' must be a string (a folder path)" });
  if (raw.target !== undefined && typeof raw.target !== 'string') problems.push({ path: ['target'], message: "'target' must be the name of a target" });
  if (raw.cache !== undefined && typeof raw.cache !== 'boolean') problems.push({ path: ['cache'], message: "'cache' must be true or false" });
  if (raw.retries !== undefined && !(Number.isInteger(raw.retries) && (raw.retries as number) >= 0 && (raw.retries as number) <= 100)) {
    problems.push({ path: ['retries'], message: `'retries' must be a whole number from 0 to 100, not ${JSON.stringify(raw.retries)}` });
  }
  if (raw.shell !== undefined) {
    const shell = typeof raw.shell === 'string' ? raw.shell.split('/').pop()! : '';
    if (!(POSIX_SHELLS as readonly string[]).includes(shell)) {
      problems.push({ path: ['shell'], message: `'shell' must be a POSIX shell (${POSIX_SHELLS.join(', ')}), not ${JSON.stringify(raw.shell)}` });
    }
  }
  if (raw.env !== undefined) {
    if (!isMapping(raw.env)) {
      problems.push({ path: ['env'], message: "'env' must map variable names to values" });
    } else {
      for (const [name, value] of Object.entries(raw.env)) {
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) problems.push({ path: ['env', name], atKey: true, message: `environment variable name '${name}' is not valid` });
        else if (value === null || typeof value === 'object') problems.push({ path: ['env', name], message: `environment variable ${name} must be a string, number or boolean` });
      }
    }
  }
  if (raw.resources !== undefined) {
    if (!isMapping(raw.resources)) problems.push({ path: ['resources'], message: "'resources' must be a mapping like { cpus: 4, time: 1h }" });
    else checkKeys(raw.resources, RESOURCE_KEYS, "'resources'", problems, ['resources']);
  }
}

/** Structural checks of a task or group node; returns its kind when it has one. */
export function checkNode(name: string, raw: Mapping, problems: NodeProblem[]): 'task' | 'group' | undefined {
  const isTask = raw.run !== undefined;
  const isGroup = raw.tasks !== undefined || raw.include !== undefined;
  checkKeys(raw, NODE_KEYS, `task '${name}'`, problems);
  checkInherited(raw, problems);
  stringList(raw, 'after', problems);
  if (raw.description !== undefined && typeof raw.description !== 'string') problems.push({ path: ['description'], message: "'description' must be a string" });
  if (isTask && isGroup) {
    problems.push({ path: ['run'], atKey: true, message: `'${name}' has both 'run' (a task) and 'tasks'/'include' (a group); split it into a group with a task inside` });
    return undefined;
  }
  if (!isTask && !isGroup) {
    problems.push({ path: [], atKey: true, message: `'${name}' needs 'run' (a command, making it a task) or 'tasks' (making it a group)` });
    return undefined;
  }
  const misplaced = isTask ? GROUP_ONLY_KEYS : TASK_ONLY_KEYS;
  for (const key of misplaced) {
    if (raw[key] !== undefined && !(isGroup && key === 'run')) {
      problems.push({ path: [key], atKey: true, message: `'${key}' belongs to ${isTask ? 'groups' : 'tasks'}; '${name}' is a ${isTask ? 'task' : 'group'}` });
    }
  }
  if (isTask) {
    if (typeof raw.run !== 'string' || raw.run.trim() === '') problems.push({ path: ['run'], message: "'run' must be a non-empty shell command" });
    stringList(raw, 'inputs', problems);
    stringList(raw, 'outputs', problems);
    return 'task';
  }
  if (raw.include !== undefined && typeof raw.include !== 'string') problems.push({ path: ['include'], message: "'include' must be the path of a workflow file" });
  if (raw.repeat !== undefined) checkRepeat(raw, problems);
  if (raw.tasks !== undefined && !isMapping(raw.tasks)) problems.push({ path: ['tasks'], message: "'tasks' must map task names to tasks" });
  else if (raw.include === undefined && isMapping(raw.tasks) && Object.keys(raw.tasks).length === 0) {
    problems.push({ path: ['tasks'], message: `group '${name}' has no tasks` });
  }
  return 'group';
}

/** A group's `repeat`, read: the condition that ends it, at most how many iterations, and what then. */
export interface Repeat {
  until: string;
  max: number;
  onMax: 'fail' | 'succeed';
}

/** A checked group's `repeat` (see `checkRepeat`). */
export function readRepeat(raw: Mapping): Repeat {
  const repeat = raw.repeat as Mapping;
  return { until: typeof repeat.until === 'boolean' ? String(repeat.until) : (repeat.until as string), max: repeat.max as number, onMax: (repeat.on_max as Repeat['onMax'] | undefined) ?? 'fail' };
}

function checkRepeat(raw: Mapping, problems: NodeProblem[]): void {
  const repeat = raw.repeat;
  if (!isMapping(repeat)) {
    problems.push({ path: ['repeat'], message: "'repeat' must be a mapping like { until: \"tasks.check.values.done\", max: 50 }" });
    return;
  }
  checkKeys(repeat, REPEAT_KEYS, "'repeat'", problems, ['repeat']);
  if (repeat.until === undefined) problems.push({ path: ['repeat'], message: "'repeat' needs 'until', the condition that ends the loop (evaluated after each iteration), like \"tasks.check.values.done\"" });
  else if (typeof repeat.until !== 'string' && typeof repeat.until !== 'boolean') problems.push({ path: ['repeat', 'until'], message: "'until' must be a condition, like \"tasks.check.values.done\"" });
  if (repeat.max === undefined) problems.push({ path: ['repeat'], message: "'repeat' needs 'max', the most iterations it may run (a loop whose condition never holds stops there)" });
  else if (!Number.isInteger(repeat.max) || (repeat.max as number) < 1 || (repeat.max as number) > MAX_TASKS) problems.push({ path: ['repeat', 'max'], message: `'max' must be a whole number from 1 to ${MAX_TASKS.toLocaleString('en-US')}, not ${JSON.stringify(repeat.max)}` });
  if (repeat.on_max !== undefined && repeat.on_max !== 'fail' && repeat.on_max !== 'succeed') problems.push({ path: ['repeat', 'on_max'], message: `'on_max' must be fail (the default: the group fails after max iterations) or succeed, not ${JSON.stringify(repeat.on_max)}` });
  if (raw.include !== undefined) problems.push({ path: ['include'], atKey: true, message: "a group that repeats cannot 'include' a file (each iteration is made from what the run recorded, not from files that may have changed since): write its tasks in the group" });
}

/** Checks a task name: no separators the ids use, no control characters. */
export function checkName(name: string): string | undefined {
  if (name === '') return 'task names must not be empty';
  if (/[/[\]#]/.test(name)) return `task name '${name}' must not contain '/', '[', ']' or '#' (they separate ids of groups, sweep instances and loop iterations)`;
  if (/\p{Cc}/u.test(name)) return `task name ${JSON.stringify(name)} must not contain control characters`;
  if (name.startsWith('.')) return `task name '${name}' must not start with '.'`;
  return undefined;
}
