/**
 * The expanded tree of task and group instances, and `after` names resolved in it: lexically,
 * as a reader of the file would, siblings first, then each enclosing group's children; a name
 * with `/` walks into groups. A name that resolves to a group containing the node is a cycle.
 */
import { didYouMean } from './errors.ts';
import type { PathSegment } from './errors.ts';
import type { TaskGraph } from './graph.ts';
import type { TaskSpec } from './types.ts';

/** A task or group instance in the expanded tree. */
export interface NodeInstance {
  id: string;
  depth: number;
  parent: NodeInstance | undefined;
  /** Child name → its instances (groups only). */
  children: Map<string, NodeInstance[]> | undefined;
  /** Index in the task list (tasks only). */
  task: number | undefined;
  /** A loop's control (a group that repeats, or a node swept over values): its tasks are made while the run goes. */
  control?: boolean;
  /** Deepest scope at which a dependency of this node resolved (−1: none). */
  dependsAtDepth: number;
  /** Deepest scope at which a dependency on this node resolved (−1: none). */
  dependedAtDepth: number;
}

/** An `after` entry resolved to the node instances it names. */
export interface Reference {
  from: NodeInstance;
  to: NodeInstance[];
  file: string;
  /** Where the `after` key is; `entry` is the index in its list (none for `after: name`). */
  path: PathSegment[];
  entry: number | undefined;
}

/** An `after` entry of a node (or a name its `when` reads), before it is resolved. */
export interface PendingReference {
  from: NodeInstance;
  names: string[];
  /** `after: name` rather than a list. */
  scalar: boolean;
  /** Who names it, in messages, when not `from` (a task inside a loop, asked in the loop's stead). */
  label?: string;
  file: string;
  path: PathSegment[];
  /**
   * For a task an expression reads (`tasks.<name>.values…`): what the name resolved to, to
   * check and keep; a message refuses it. The reader depends on it as on an `after` entry.
   */
  read?: { needle: string; resolved: (to: NodeInstance[]) => string | undefined };
}

/**
 * Resolves each `after` name lexically: siblings first, then each enclosing group's children.
 * An iteration of a loop is a tree of its own: a name found nowhere in it is asked of
 * `outside` (what the loop recorded of the names its body reads outside it).
 */
export function resolveReferences(
  pendings: readonly PendingReference[],
  report: (file: string, at: PathSegment[], message: string, extra?: { needle: string }) => void,
  outside?: (name: string) => NodeInstance[] | undefined,
): Reference[] {
  const references: Reference[] = [];
  for (const pending of pendings) {
    const uses = pending.read ? 'reads the values of' : 'runs after';
    const issue = (file: string, at: PathSegment[], message: string) => report(file, at, message, pending.read ? { needle: pending.read.needle } : undefined);
    for (let index = 0; index < pending.names.length; index++) {
      const name = pending.names[index]!;
      const entry = pending.scalar ? undefined : index;
      const at = () => (entry === undefined ? pending.path : [...pending.path, entry]);
      // Most names have no '/': no array for them (a big sweep has hundreds of thousands).
      const slash = name.indexOf('/');
      const first = slash === -1 ? name : name.slice(0, slash);
      let scope = pending.from.parent;
      while (scope && !scope.children!.has(first)) scope = scope.parent;
      const beyond = scope ? undefined : outside?.(name);
      if (beyond) {
        if (beyond.length === 0) continue;
        const refused = pending.read?.resolved(beyond);
        if (refused !== undefined) issue(pending.file, at(), refused);
        else references.push({ from: pending.from, to: beyond, file: pending.file, path: pending.path, entry });
        continue;
      }
      if (!scope) {
        const visible = new Set<string>();
        for (let s = pending.from.parent; s; s = s.parent) for (const key of s.children!.keys()) visible.add(key);
        visible.delete(pending.from.id.split('/').pop()!.replace(/\[\d+\]$/, ''));
        issue(pending.file, at(), `'${pending.label ?? pending.from.id}' ${uses} '${name}', which does not exist${didYouMean(first, visible)}`);
        continue;
      }
      let targets = scope.children!.get(first)!;
      let missing: string | undefined;
      if (slash !== -1) {
        for (const segment of name.split('/').slice(1)) {
          targets = targets.flatMap((target) => target.children?.get(segment) ?? []);
          if (targets.length === 0) {
            missing = segment;
            break;
          }
        }
      }
      if (missing !== undefined) {
        const loop = scope.children!.get(first)!.some((node) => node.control);
        issue(pending.file, at(), loop ? `'${pending.label ?? pending.from.id}' ${uses} '${name}': '${first}' is a loop, whose tasks are made while the run goes: name the loop itself, or read the values of a task inside it from another task inside it` : `'${pending.label ?? pending.from.id}' ${uses} '${name}': no task '${missing}' inside '${first}'`);
        continue;
      }
      // Only a group (or the node itself) can contain the node.
      const container = targets.find((target) => target === pending.from || (target.children !== undefined && isAncestorOrSelf(target, pending.from)));
      if (container) {
        issue(pending.file, at(), `'${pending.label ?? pending.from.id}' cannot ${pending.read ? 'read the values of' : 'run after'} '${name}': it is inside '${container.id}' (a dependency cycle)`);
        continue;
      }
      const refused = pending.read?.resolved(targets);
      if (refused !== undefined) {
        issue(pending.file, at(), refused);
        continue;
      }
      pending.from.dependsAtDepth = Math.max(pending.from.dependsAtDepth, scope.depth);
      for (const target of targets) target.dependedAtDepth = Math.max(target.dependedAtDepth, scope.depth);
      references.push({ from: pending.from, to: targets, file: pending.file, path: pending.path, entry });
    }
  }
  return references;
}

/**
 * Turns references between nodes into dependencies between tasks. A group's dependency
 * attaches to its entry tasks (those with no dependency inside it) and a dependency on a
 * group to its exit tasks (those nothing inside it waits for): the same order as every
 * task on every task, with far fewer edges.
 */
export function linkTasks(tasks: TaskSpec[], references: Reference[]): TaskGraph {
  const leaves = new Map<NodeInstance, NodeInstance[]>();
  const leavesOf = (node: NodeInstance): NodeInstance[] => {
    if (node.task !== undefined) return [node];
    let found = leaves.get(node);
    if (!found) {
      found = [];
      // A loop, not push(...): a sweep can hold more leaves than a call takes arguments.
      for (const instances of node.children!.values()) for (const child of instances) for (const leaf of leavesOf(child)) found.push(leaf);
      leaves.set(node, found);
    }
    return found;
  };
  const deepest = (leaf: NodeInstance, key: 'dependsAtDepth' | 'dependedAtDepth') => {
    let depth = -1;
    for (let node: NodeInstance | undefined = leaf; node; node = node.parent) depth = Math.max(depth, node[key]);
    return depth;
  };
  const deps: number[][] = tasks.map(() => []);
  for (const reference of references) {
    // A task is its own entry and exit; only groups need the leaf filtering.
    const from = reference.from;
    const entries = from.task !== undefined ? [from] : leavesOf(from).filter((leaf) => deepest(leaf, 'dependsAtDepth') < from.depth);
    for (const target of reference.to) {
      const exits = target.task !== undefined ? [target] : leavesOf(target).filter((leaf) => deepest(leaf, 'dependedAtDepth') < target.depth);
      for (const entry of entries) for (const exit of exits) deps[entry.task!]!.push(exit.task!);
    }
  }
  const dependents: number[][] = tasks.map(() => []);
  tasks.forEach((task, i) => {
    let mine = deps[i]!;
    if (mine.length > 1) deps[i] = mine = [...new Set(mine)];
    task.after = mine.map((dep) => tasks[dep]!.id);
    for (const dep of mine) dependents[dep]!.push(i);
  });
  return { deps, dependents };
}

/**
 * The names among `pending` (an iteration's `after` entries and condition reads) that nothing
 * in their tree holds, one entry per name: they are outside the loop the tree is an iteration of.
 */
export function outsidePending(pending: readonly PendingReference[]): PendingReference[] {
  const outside: PendingReference[] = [];
  for (const reference of pending) {
    reference.names.forEach((name, index) => {
      const first = name.split('/')[0]!;
      let scope = reference.from.parent;
      while (scope && !scope.children!.has(first)) scope = scope.parent;
      if (!scope) outside.push({ ...reference, names: [name], scalar: true, path: reference.scalar ? reference.path : [...reference.path, index] });
    });
  }
  return outside;
}

/**
 * A name an iteration reads outside its loop, asked instead of the loop's control (`from`) in
 * the tree around it: the control depends on what it names, and `found` gets the id of a task
 * whose values it reads.
 */
export function hoisted(pending: PendingReference, from: NodeInstance, found: (id: string) => void): PendingReference {
  const read = pending.read;
  const label = pending.label ?? ((pending.from as NodeInstanceImpl).declaredPath || undefined);
  return { ...pending, from, ...(label ? { label } : {}), ...(read ? { read: { needle: read.needle, resolved: (to) => read.resolved(to) ?? void found(to[0]!.id) } } : {}) };
}

/** A node instance, with the path it was declared at (shared by a sweep's instances). */
export class NodeInstanceImpl implements NodeInstance {
  children: Map<string, NodeInstance[]> | undefined;
  task: number | undefined = undefined;
  dependsAtDepth = -1;
  dependedAtDepth = -1;

  readonly id: string;
  readonly depth: number;
  readonly parent: NodeInstance | undefined;
  readonly declaredPath: string;

  constructor(id: string, depth: number, parent: NodeInstance | undefined, group: boolean, declaredPath = '') {
    this.id = id;
    this.depth = depth;
    this.parent = parent;
    this.declaredPath = declaredPath;
    this.children = group ? new Map() : undefined;
  }
}

function isAncestorOrSelf(candidate: NodeInstance, node: NodeInstance): boolean {
  for (let current: NodeInstance | undefined = node; current; current = current.parent) if (current === candidate) return true;
  return false;
}

