/**
 * The workflow file as the editor sees it: the file's plain value (what `workflows.open`
 * returns and `workflows.save` takes) turned into nodes (tasks and groups, by path) and edges
 * (`after` entries), and every edit as a function from one value to the next. `after` names
 * resolve as the core resolves them: siblings first, then each enclosing group's children,
 * with `group/child` descending into a group.
 *
 * No React here: these functions are tested on their own (test/renderer/model.test.ts).
 */
import { sweepCount } from '../../../core/model/sweep.ts';

export type Mapping = Record<string, unknown>;
export type NodeKind = 'task' | 'group' | 'include';

export interface EditorNode {
  /** Names from the top joined by `/`, e.g. `windows/production`. */
  path: string;
  name: string;
  parent: string | null;
  kind: NodeKind;
  raw: Mapping;
  /** Instances of a sweep (`null`: not a sweep; `'?'`: its values come from a template only a run resolves). */
  sweep: number | '?' | null;
}

export interface EditorEdge {
  id: string;
  /** Runs first. */
  source: string;
  /** Runs after `source`: the node whose `after` holds `entry`. */
  target: string;
  entry: string;
}

export interface Graph {
  nodes: EditorNode[];
  byPath: Map<string, EditorNode>;
  edges: EditorEdge[];
  /**
   * Tasks whose values a node reads (in `when`, a loop's `until`, a `foreach` over a value)
   * and that no `after` names: it runs after them all the same. Drawn, not edited as edges.
   */
  reads: { id: string; source: string; target: string }[];
  /** `after` entries that name nothing (shown as problems on their node). */
  dangling: { path: string; entry: string }[];
}

export function isMapping(value: unknown): value is Mapping {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function kindOf(raw: Mapping): NodeKind {
  if ('include' in raw) return 'include';
  return 'tasks' in raw ? 'group' : 'task';
}

/**
 * How many instances a sweep makes, counted by the core's own rules (core/model/sweep.ts)
 * with the file's params: `null` when it is not a sweep, `'?'` when only a run can say (its
 * values come from another template) or the sweep has a problem (shown on the node).
 */
function sweepSize(raw: Mapping, params: Mapping): number | '?' | null {
  if (raw.foreach === undefined && raw.zip === undefined) return null;
  return sweepCount(raw.foreach, raw.zip, { params }, new Set()).count ?? '?';
}

export function afterList(raw: Mapping): string[] {
  if (typeof raw.after === 'string') return [raw.after];
  return Array.isArray(raw.after) ? raw.after.filter((entry): entry is string => typeof entry === 'string') : [];
}

/** The `tasks` mapping of a scope: the file's (`null`) or a group's. */
export function scopeOf(value: Mapping, path: string | null): Mapping | undefined {
  let scope = isMapping(value.tasks) ? value.tasks : undefined;
  if (path === null) return scope;
  for (const name of path.split('/')) {
    const node = scope?.[name];
    if (!isMapping(node) || !isMapping(node.tasks)) return undefined;
    scope = node.tasks;
  }
  return scope;
}

export function nodeAt(value: Mapping, path: string): Mapping | undefined {
  const parts = path.split('/');
  const node = scopeOf(value, parts.length > 1 ? parts.slice(0, -1).join('/') : null)?.[parts.at(-1)!];
  return isMapping(node) ? node : undefined;
}

export function parentOf(path: string): string | null {
  const cut = path.lastIndexOf('/');
  return cut < 0 ? null : path.slice(0, cut);
}

function join(parent: string | null, name: string): string {
  return parent === null ? name : `${parent}/${name}`;
}

/** Whether `ancestor` is `path` or contains it. */
export function within(path: string, ancestor: string): boolean {
  return path === ancestor || path.startsWith(`${ancestor}/`);
}

export function buildGraph(value: Mapping): Graph {
  const nodes: EditorNode[] = [];
  const params = isMapping(value.params) ? value.params : {};
  const visit = (scope: Mapping, parent: string | null) => {
    for (const [name, raw] of Object.entries(scope)) {
      if (!isMapping(raw)) continue;
      const path = join(parent, name);
      const kind = kindOf(raw);
      nodes.push({ path, name, parent, kind, raw, sweep: sweepSize(raw, params) });
      if (kind === 'group' && isMapping(raw.tasks)) visit(raw.tasks, path);
    }
  };
  visit(isMapping(value.tasks) ? value.tasks : {}, null);
  const byPath = new Map(nodes.map((node) => [node.path, node]));
  const edges: EditorEdge[] = [];
  const dangling: Graph['dangling'] = [];
  for (const node of nodes) {
    for (const entry of afterList(node.raw)) {
      const source = resolve(byPath, node.path, entry);
      if (source === undefined || within(node.path, source)) dangling.push({ path: node.path, entry });
      else edges.push({ id: `${source}->${node.path}`, source, target: node.path, entry });
    }
  }
  const linked = new Set(edges.map((edge) => edge.id));
  const reads: Graph['reads'] = [];
  for (const node of nodes) {
    for (const ref of readRefs(node.raw)) {
      const source = resolve(byPath, node.path, ref);
      const id = `${source}->${node.path}`;
      if (source === undefined || within(node.path, source) || linked.has(id)) continue;
      linked.add(id);
      reads.push({ id, source, target: node.path });
    }
  }
  return { nodes, byPath, edges, reads, dangling };
}

/** The tasks a node's conditions and value sweeps read (`tasks.plan.values.x`, `tasks['a b'].skipped`), as written. */
function readRefs(raw: Mapping): string[] {
  const texts: unknown[] = [raw.when, isMapping(raw.repeat) ? raw.repeat.until : undefined, ...(isMapping(raw.foreach) ? Object.values(raw.foreach) : [])];
  const refs: string[] = [];
  for (const text of texts) {
    if (typeof text !== 'string') continue;
    for (const match of text.matchAll(/\btasks\s*(?:\.\s*([A-Za-z_][\w-]*)|\[\s*(['"])(.*?)\2\s*\])/g)) refs.push(match[1] ?? match[3]!);
  }
  return refs;
}

/** The node an `after` entry of `from` names, as the core resolves it. */
export function resolve(byPath: ReadonlyMap<string, EditorNode>, from: string, entry: string): string | undefined {
  const segments = entry.split('/');
  let scope = parentOf(from);
  for (;;) {
    if (byPath.has(join(scope, segments[0]!))) break;
    if (scope === null) return undefined;
    scope = parentOf(scope);
  }
  const found = join(scope, entry);
  return byPath.has(found) ? found : undefined;
}

/** The shortest `after` entry by which `from` names `target`. */
export function referenceFor(byPath: ReadonlyMap<string, EditorNode>, from: string, target: string): string | undefined {
  for (let scope = parentOf(from); ; scope = parentOf(scope)) {
    if (scope === null || within(target, scope)) {
      const entry = scope === null ? target : target.slice(scope.length + 1);
      if (resolve(byPath, from, entry) === target) return entry;
    }
    if (scope === null) return undefined;
  }
}

function leavesOf(graph: Graph, path: string): string[] {
  return graph.nodes.filter((node) => node.kind !== 'group' && within(node.path, path)).map((node) => node.path);
}

/**
 * Whether `target` may run after `source`; refused with the reason when the two are the same,
 * one holds the other, or the dependency closes a cycle (over the tasks inside groups too).
 */
export function checkConnection(graph: Graph, source: string, target: string): { ok: true; entry: string } | { ok: false; message: string } {
  if (source === target) return { ok: false, message: `'${target}' cannot run after itself` };
  if (within(target, source)) return { ok: false, message: `'${target}' cannot run after '${source}': it is inside it` };
  if (within(source, target)) return { ok: false, message: `'${target}' cannot run after '${source}': it holds it` };
  if (graph.edges.some((edge) => edge.source === source && edge.target === target)) return { ok: false, message: `'${target}' already runs after '${source}'` };
  // Task-level successors: an edge between nodes orders every task inside one before every task inside the other.
  const next = new Map<string, Set<string>>();
  for (const edge of graph.edges) {
    for (const from of leavesOf(graph, edge.source)) {
      let set = next.get(from);
      if (!set) next.set(from, (set = new Set()));
      for (const to of leavesOf(graph, edge.target)) set.add(to);
    }
  }
  const goal = new Set(leavesOf(graph, source));
  const stack = leavesOf(graph, target);
  const seen = new Set<string>();
  while (stack.length > 0) {
    const at = stack.pop()!;
    if (goal.has(at)) return { ok: false, message: `'${target}' cannot run after '${source}': '${source}' already waits for '${target}' (that would be a cycle)` };
    if (seen.has(at)) continue;
    seen.add(at);
    stack.push(...(next.get(at) ?? []));
  }
  const entry = referenceFor(graph.byPath, target, source);
  if (entry === undefined) return { ok: false, message: `'${target}' cannot name '${source}' (another node of that name hides it)` };
  return { ok: true, entry };
}

function edit(value: Mapping, change: (draft: Mapping) => void): Mapping {
  const draft = structuredClone(value);
  change(draft);
  return draft;
}

function setAfter(node: Mapping, entries: string[]): void {
  if (entries.length === 0) delete node.after;
  else node.after = entries.length === 1 && typeof node.after === 'string' ? entries[0] : entries;
}

export function connect(value: Mapping, target: string, entry: string): Mapping {
  return edit(value, (draft) => {
    const node = nodeAt(draft, target)!;
    const entries = afterList(node);
    node.after = typeof node.after === 'string' || entries.length === 0 ? (entries.length === 0 ? entry : [...entries, entry]) : [...entries, entry];
  });
}

export function disconnect(value: Mapping, target: string, entry: string): Mapping {
  return edit(value, (draft) => {
    const node = nodeAt(draft, target)!;
    setAfter(node, afterList(node).filter((name) => name !== entry));
  });
}

export const NAME_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

/** Why `name` cannot name a node in `parent`, or undefined. */
export function nameProblem(value: Mapping, parent: string | null, name: string, except?: string): string | undefined {
  if (!NAME_PATTERN.test(name)) return `'${name}': use letters, digits, '_', '-' and '.', not starting with '.' or '-'`;
  const scope = scopeOf(value, parent) ?? {};
  if (name !== except && Object.hasOwn(scope, name)) return `there is already a '${name}' ${parent === null ? 'at the top' : `in '${parent}'`}`;
  return undefined;
}

export function freshName(value: Mapping, parent: string | null, base: string): string {
  const scope = scopeOf(value, parent) ?? {};
  for (let i = 1; ; i++) if (!Object.hasOwn(scope, `${base}${i}`)) return `${base}${i}`;
}

/** Adds a task (a command to fill in) or an empty group; returns the new value and path. */
export function addNode(value: Mapping, parent: string | null, kind: 'task' | 'group'): { value: Mapping; path: string } {
  const name = freshName(value, parent, kind === 'task' ? 'task' : 'group');
  const next = edit(value, (draft) => {
    if (parent === null && !isMapping(draft.tasks)) draft.tasks = {};
    const scope = scopeOf(draft, parent)!;
    scope[name] = kind === 'task' ? { run: `echo "${name}"` } : { tasks: {} };
  });
  return { value: next, path: join(parent, name) };
}

/** Every `after` entry of every node, with what it names. */
function references(value: Mapping): { path: string; entry: string; names: string | undefined }[] {
  const graph = buildGraph(value);
  return graph.nodes.flatMap((node) => afterList(node.raw).map((entry) => ({ path: node.path, entry, names: resolve(graph.byPath, node.path, entry) })));
}

/** Removes a node (and what it holds), and every `after` entry that named any of it. */
export function removeNode(value: Mapping, path: string): Mapping {
  const before = references(value);
  return edit(value, (draft) => {
    delete scopeOf(draft, parentOf(path))![path.split('/').at(-1)!];
    for (const ref of before) {
      if (ref.names === undefined || !within(ref.names, path) || within(ref.path, path)) continue;
      const node = nodeAt(draft, ref.path)!;
      setAfter(node, afterList(node).filter((entry) => entry !== ref.entry));
    }
  });
}

/**
 * Deletes nodes and edges as one edit: the nodes outermost first (what they hold goes with
 * them, with every `after` entry that named any of it), then the edges (by id) that did not go
 * with a node. As one edit, an undo brings a node back with the dependencies it took along.
 * Undefined when nothing is deleted.
 */
export function deleteElements(value: Mapping, graph: Graph, nodeIds: string[], edgeIds: string[]): Mapping | undefined {
  const roots = nodeIds.filter((id) => graph.byPath.has(id) && !nodeIds.some((other) => other !== id && within(id, other)));
  const gone = (path: string) => roots.some((root) => within(path, root));
  const edges = edgeIds.map((id) => graph.edges.find((edge) => edge.id === id)).filter((edge) => edge !== undefined && !gone(edge.source) && !gone(edge.target));
  if (roots.length === 0 && edges.length === 0) return undefined;
  const disconnected = edges.reduce((next, edge) => disconnect(next, edge!.target, edge!.entry), value);
  return roots.reduce((next, path) => removeNode(next, path), disconnected);
}

/** Renames a node in place (its key keeps its position) and every `after` entry that named it or something in it. */
export function renameNode(value: Mapping, path: string, name: string): Mapping {
  const parent = parentOf(path);
  const old = path.split('/').at(-1)!;
  if (name === old) return value;
  const before = references(value);
  const renamed = join(parent, name);
  return edit(value, (draft) => {
    const scope = scopeOf(draft, parent)!;
    const entries = Object.entries(scope).map(([key, node]) => [key === old ? name : key, node] as const);
    for (const key of Object.keys(scope)) delete scope[key];
    for (const [key, node] of entries) scope[key] = node;
    const graph = buildGraph(draft);
    for (const ref of before) {
      if (ref.names === undefined || !within(ref.names, path)) continue;
      const holder = within(ref.path, path) ? renamed + ref.path.slice(path.length) : ref.path;
      const target = renamed + ref.names.slice(path.length);
      const node = nodeAt(draft, holder)!;
      const entry = referenceFor(graph.byPath, holder, target) ?? target;
      setAfter(
        node,
        afterList(node).map((current) => (current === ref.entry ? entry : current)),
      );
    }
  });
}

/**
 * Moves a node (and what it holds) into another group, or to the top (`parent` null): it
 * keeps its name unless the new scope has one, and every `after` entry that named it, or that
 * it (or something in it) holds, is rewritten to name the same node from where it is now.
 * Refused, with the reason, when that would put a node inside itself or inside what it runs
 * after (or what runs after it).
 */
export function moveNode(value: Mapping, path: string, parent: string | null): { value: Mapping; path: string } | { problem: string } {
  if (parent !== null && within(parent, path)) return { problem: `'${path}' cannot go into itself` };
  if (parent === parentOf(path)) return { value, path };
  const old = path.split('/').at(-1)!;
  const name = Object.hasOwn(scopeOf(value, parent) ?? {}, old) ? freshName(value, parent, old) : old;
  const moved = join(parent, name);
  const relocate = (at: string) => (within(at, path) ? moved + at.slice(path.length) : at);
  const before = references(value);
  for (const ref of before) {
    if (ref.names === undefined || (!within(ref.names, path) && !within(ref.path, path))) continue;
    const holder = relocate(ref.path);
    const target = relocate(ref.names);
    if (within(holder, target)) return { problem: `'${holder}' would be inside '${target}', which it runs after` };
    if (within(target, holder)) return { problem: `'${holder}' would hold '${target}', which it runs after` };
  }
  let hidden: string | undefined;
  const next = edit(value, (draft) => {
    const node = scopeOf(draft, parentOf(path))![old];
    delete scopeOf(draft, parentOf(path))![old];
    if (parent === null && !isMapping(draft.tasks)) draft.tasks = {};
    scopeOf(draft, parent)![name] = node;
    const graph = buildGraph(draft);
    // Entries held by or naming what moved are written anew (shortest from where they are now),
    // and so is any other that the moved node now hides another node from.
    for (const ref of before) {
      if (ref.names === undefined) continue;
      const holder = relocate(ref.path);
      const target = relocate(ref.names);
      const involved = within(ref.path, path) || within(ref.names, path);
      if (!involved && resolve(graph.byPath, holder, ref.entry) === target) continue;
      const entry = referenceFor(graph.byPath, holder, target);
      if (entry === undefined) {
        hidden ??= `'${holder}' could no longer name '${target}' (a node of that name would hide it)`;
        continue;
      }
      const at = nodeAt(draft, holder)!;
      setAfter(
        at,
        afterList(at).map((current) => (current === ref.entry ? entry : current)),
      );
    }
  });
  return hidden ? { problem: hidden } : { value: next, path: moved };
}

/** Sets (or with `undefined`, removes) keys of a node. */
export function updateNode(value: Mapping, path: string, patch: Mapping): Mapping {
  return edit(value, (draft) => {
    const node = nodeAt(draft, path)!;
    for (const [key, entry] of Object.entries(patch)) {
      if (entry === undefined || entry === '' || (Array.isArray(entry) && entry.length === 0) || (isMapping(entry) && Object.keys(entry).length === 0)) delete node[key];
      else node[key] = entry;
    }
  });
}

/** The node a problem of the file points into (by its path in the parsed file), or null for the file. */
export function nodeOfIssue(issuePath: (string | number)[]): string | null {
  const names: string[] = [];
  for (let i = 0; i + 1 < issuePath.length && issuePath[i] === 'tasks'; i += 2) names.push(String(issuePath[i + 1]));
  return names.length === 0 ? null : names.join('/');
}
