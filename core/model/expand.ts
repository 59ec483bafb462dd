import path from 'node:path';
import type { Issue, PathSegment } from './errors.ts';
import { topologicalOrder } from './graph.ts';
import { placeholderValues, readPending, valueReads } from './fanout.ts';
import type { ValueRead } from './fanout.ts';
import { inheritScope } from './inherit.ts';
import { iterationId, iterationVars } from './iteration.ts';
import { DEFAULTS_KEYS, FILE_KEYS } from './keys.ts';
import { checkInherited, checkKeys, checkName, checkNode, isMapping, readRepeat, stringList } from './node-check.ts';
import type { Mapping, NodeProblem } from './node-check.ts';
import { hoisted, linkTasks, NodeInstanceImpl, outsidePending, resolveReferences } from './references.ts';
import type { NodeInstance, PendingReference, Reference } from './references.ts';
import { readSource } from './source.ts';
import { checkStaged } from './staged-paths.ts';
import { MAX_TASKS, sweepRows } from './sweep.ts';
import { readTargets } from './targets.ts';
import { hasTemplate, renderString } from './template.ts';
import type { TemplateVars } from './template.ts';
import type { Inherited, LoopSpec, TargetSpec, TaskSpec, WhenSpec } from './types.ts';
import { readWhen } from './when.ts';

/** Properties a node inherits from its enclosing groups, and where it is written. */
interface Scope extends Inherited {
  file: string;
  /** The `when` of each enclosing group (all must hold for a task inside to run). */
  when: WhenSpec[];
}

/** What `Expander.expand` produces before the graph checks. */
export interface Expansion {
  tasks: TaskSpec[];
  references: Reference[];
  targets: Record<string, TargetSpec>;
  params: Record<string, unknown>;
  name: string;
}

/**
 * Expands a parsed workflow document into task instances: checks every node, binds sweep
 * variables, renders templates, inherits group properties and resolves `after` names.
 * Problems are collected (not thrown) so a user sees them all at once.
 */
export class Expander {
  readonly issues: Issue[] = [];
  readonly texts = new Map<string, string>();
  private readonly tasks: TaskSpec[] = [];
  readonly pending: PendingReference[] = []; // `after` entries and condition reads, resolved once the whole tree is there
  private readonly targets: Record<string, TargetSpec> = {};
  private params: Record<string, unknown> = {};
  private readonly includeStack: string[] = [];
  private readonly checked = new WeakSet<object>();
  /** Input pattern → the file it leads outside through, checked once per pattern (a sweep shares its inputs). */
  private readonly inputEscapes = new Map<string, { file: string; target: string } | null>();
  private runVars: Record<string, string> = {};
  /** Set once the expansion reached MAX_TASKS: nothing more is expanded. */
  private tooMany = false;
  /** Whether a template read `{{ run.id }}`. */
  usesRunId = false;

  /** The loops this expansion made, each with its first iteration expanded to check its body (see `addLoop`). */
  private readonly loops: { body: Expander }[] = [];
  /** In the expansion of one iteration of a loop: its control, and the `until` it is judged by. */
  private iteration: { control: TaskSpec; index: number; until: WhenSpec | undefined; untilFrom: NodeInstance; values?: Record<string, unknown> | undefined } | undefined;

  private readonly root: string;
  private readonly runId: string;
  private readonly paramOverrides: Record<string, unknown>;

  /** `around`: the expansion this one makes an iteration for, whose params, targets and problems it shares. */
  constructor(root: string, runId: string, paramOverrides: Record<string, unknown>, around?: Expander) {
    this.root = root;
    this.runId = runId;
    this.paramOverrides = paramOverrides;
    if (around) ({ issues: this.issues, texts: this.texts, targets: this.targets, params: this.params, runVars: this.runVars, checked: this.checked, inputEscapes: this.inputEscapes } = around);
  }

  /** An expander for the iterations of a run's loops: the run's params, targets and names, no file. */
  static forRun(run: { root: string; params: Record<string, unknown>; targets: Record<string, TargetSpec>; name: string }, runId: string): Expander {
    const expander = new Expander(run.root, runId, {});
    expander.params = run.params;
    Object.assign(expander.targets, run.targets);
    expander.runVars = { id: runId, name: run.name, root: run.root };
    return expander;
  }

  expand(file: string, text: string, data: unknown): Expansion {
    this.texts.set(file, text);
    this.includeStack.push(path.resolve(file));
    const top = new NodeInstanceImpl('', 0, undefined, true);
    if (!isMapping(data)) {
      this.issue(file, [], 'a workflow file must be a mapping with version, name and tasks');
      return this.result('');
    }
    this.checkFile(file, data, true);
    const name = typeof data.name === 'string' ? data.name : path.basename(file).replace(/\.(ya?ml|json)$/, '');
    this.params = { ...(isMapping(data.params) ? data.params : {}), ...this.paramOverrides };
    // The id is noted when read: a plan that used it is of one run only (see plan-cache.ts).
    this.runVars = Object.defineProperty({} as Record<string, string>, 'id', {
      enumerable: true,
      get: () => {
        this.usesRunId = true;
        return this.runId;
      },
    });
    this.runVars.name = name;
    this.runVars.root = this.root;
    readTargets(data, this.targets, (at, message, extra) => this.issue(file, at, message, extra));
    const scope = this.applyDefaults(file, data, { file, cwd: '', env: {}, target: 'local', resources: {}, retries: 1, shell: 'sh', cache: undefined, vars: {}, when: [] });
    if (data.tasks === undefined) this.issue(file, [], "the workflow has no 'tasks'");
    else this.expandChildren(data.tasks, ['tasks'], scope, top);
    return this.result(name);
  }

  private result(name: string): Expansion {
    const references = resolveReferences(this.pending, (file, at, message, extra) => this.issue(file, at, message, extra));
    this.finishLoops();
    return { tasks: this.tasks, references, targets: this.targets, params: this.params, name };
  }

  /** Checks each loop's first iteration, once the names around the loop are resolved (so what it reads outside it is known). */
  private finishLoops(): void {
    if (this.issues.length > 0) return;
    for (const { body } of this.loops) body.finishIteration([]);
  }

  /**
   * A group that repeats becomes one task, the loop's control (see `TaskSpec.loop`): tasks
   * after the group run after it. Its iterations are made while the run goes (`expandIteration`);
   * the first is made now to check the body, and what the body names outside itself becomes a
   * dependency of the control, its id recorded for the iterations to come. A node swept over
   * values (`reads`) is such a control too, whose one iteration is its instances.
   */
  private addLoop(raw: Mapping, at: PathSegment[], scope: Scope, node: { id: string; path: string; name: string }, instance: NodeInstance, reads: ValueRead[]): void {
    const { file, cwd, env, target, resources, retries, shell, cache, vars } = scope;
    const repeat = reads.length > 0 ? { until: 'true', max: 1, onMax: 'fail' as const } : readRepeat(raw);
    const loop: LoopSpec = {
      kind: reads.length > 0 ? 'foreach' : 'repeat', ...repeat, group: raw, file, at, scope: { cwd, env, target, resources, retries, shell, ...(cache === undefined ? {} : { cache }), vars }, outside: {},
      ...(reads.length > 0 ? { foreach: { name: node.name, reads: {} } } : {}),
    };
    instance.task = this.tasks.length;
    instance.control = true;
    const control: TaskSpec = { id: node.id, path: node.path, run: '', shell, cwd, env: {}, target, resources: {}, retries: 0, inputs: [], outputs: [], cache: false, vars, after: [], ...(scope.when.length > 0 ? { when: scope.when } : {}), loop };
    this.tasks.push(control);
    // The tasks whose values it sweeps over: dependencies of the control, resolved as a `when` reads them.
    for (const read of reads) this.pending.push(readPending(read, instance, file, [...at, raw.foreach !== undefined ? 'foreach' : 'zip'], (id) => (loop.foreach!.reads[read.task] = id)));
    const body = new Expander(this.root, this.runId, {}, this);
    body.expandIteration(control, 0, reads.length > 0 ? placeholderValues(reads) : undefined);
    // A loop that cannot reach its max within a run's tasks would fail there, after all the work before.
    const fits = Math.floor(MAX_TASKS / Math.max(1, body.tasks.length));
    if (loop.max > fits) this.issue(file, [...at, 'repeat', 'max'], `max ${loop.max.toLocaleString('en-US')}: ${body.tasks.length} tasks an iteration, a run holds at most ${fits.toLocaleString('en-US')} iterations (${MAX_TASKS.toLocaleString('en-US')} tasks)`);
    for (const pending of outsidePending(body.pending)) this.pending.push(hoisted(pending, instance, (id) => (loop.outside[pending.names[0]!] = id)));
    this.loops.push({ body });
  }

  /**
   * Expands iteration `index` of the loop `control`: its group as written, with `repeat` bound;
   * or, for a foreach over `values` (by task name, as the sweep reads them), the node's instances.
   */
  expandIteration(control: TaskSpec, index: number, values?: Record<string, unknown>): void {
    const loop = control.loop!;
    if (loop.foreach) {
      // The node's instances are made as its siblings would be: in a tree whose root stands for its parent.
      const parent = (text: string) => text.slice(0, Math.max(0, text.length - loop.foreach!.name.length - 1));
      const root = new NodeInstanceImpl(parent(control.id), 0, undefined, true, parent(control.path));
      this.iteration = { control, index, until: undefined, untilFrom: root, values };
      this.expandNode(loop.foreach.name, loop.group, loop.at, { ...loop.scope, file: loop.file, when: [] }, root);
      return;
    }
    const vars = iterationVars(control, index);
    const id = iterationId(control.id, index);
    const root = new NodeInstanceImpl(id, 0, undefined, true, control.path);
    const own = this.inherit(loop.group, loop.at, { ...loop.scope, file: loop.file, vars, when: [] }, this.templateVars(vars, id));
    // `until` reads names as the group's tasks do: the iteration's own first.
    const untilFrom = new NodeInstanceImpl(`${id}/`, 1, root, false, control.path);
    const until = readWhen(loop.until, { file: loop.file, at: [...loop.at, 'repeat', 'until'], from: untilFrom, vars, params: this.params, key: 'until' }, this.pending, (where, message, extra) => this.issue(loop.file, where, message, extra));
    this.iteration = { control, index, until, untilFrom };
    this.expandGroup(loop.group, loop.at, own, root);
  }

  /**
   * Resolves this iteration's names (outside it: as the loop recorded them; an `after` there is
   * kept by the control), links its tasks — those after nothing inside it run after `entryAfter`
   * (the loop's dependencies, or the previous iteration's last tasks) — and checks its own loops.
   * Returns its tasks in order; the first holds the ids its `until` reads.
   */
  finishIteration(entryAfter: readonly string[]): TaskSpec[] {
    const { control, index, until, untilFrom } = this.iteration!;
    const outside = control.loop!.outside;
    const placeholders: TaskSpec[] = [];
    const report = (file: string, at: PathSegment[], message: string, extra?: Partial<Issue>) => this.issue(file, at, message, extra);
    const references = resolveReferences(this.pending, report, (name) => {
      const id = outside[name];
      if (id === undefined) return [];
      const node = new NodeInstanceImpl(id, 0, undefined, false);
      node.task = this.tasks.length + placeholders.length;
      placeholders.push({ id, after: [] } as unknown as TaskSpec);
      return [node];
    }).filter((reference) => reference.from !== untilFrom);
    const all = [...this.tasks, ...placeholders];
    const sorted = topologicalOrder(linkTasks(all, references));
    if ('cycle' in sorted) {
      this.issue(control.loop!.file, control.loop!.at, `dependency cycle inside the loop '${control.path}': ${sorted.cycle.map((i) => all[i]!.id).join(' → ')}`);
      return [];
    }
    const ids = new Set(this.tasks.map((task) => task.id));
    for (const task of this.tasks) {
      if (!task.after.some((dep) => ids.has(dep))) task.after = [...new Set([...entryAfter, ...task.after])];
      task.iteration = { of: control.id, index };
    }
    const first = this.tasks[0];
    if (first) first.iteration = { of: control.id, index, until: until?.tasks ?? {} };
    this.finishLoops();
    return sorted.order.filter((i) => i < this.tasks.length).map((i) => this.tasks[i]!);
  }

  private issue(file: string, at: PathSegment[], message: string, extra: Partial<Issue> = {}): void {
    this.issues.push({ file, path: at, message, ...extra });
  }

  private report(file: string, base: PathSegment[], problems: NodeProblem[]): void {
    for (const problem of problems) this.issue(file, [...base, ...problem.path], problem.message, { atKey: problem.atKey });
  }

  private checkFile(file: string, data: Mapping, main: boolean): void {
    const problems: NodeProblem[] = [];
    checkKeys(data, FILE_KEYS, 'the workflow file', problems);
    if (main && data.version === undefined) problems.push({ path: [], message: "missing 'version: 1'" });
    if (data.version !== undefined && data.version !== 1) problems.push({ path: ['version'], message: `unsupported version ${JSON.stringify(data.version)}; this Flotilla reads version 1` });
    if (data.name !== undefined && typeof data.name !== 'string') problems.push({ path: ['name'], message: "'name' must be a string" });
    if (data.params !== undefined && !isMapping(data.params)) problems.push({ path: ['params'], message: "'params' must map names to values" });
    if (data.defaults !== undefined && !isMapping(data.defaults)) problems.push({ path: ['defaults'], message: "'defaults' must be a mapping" });
    this.report(file, [], problems);
  }

  private applyDefaults(file: string, data: Mapping, scope: Scope): Scope {
    if (!isMapping(data.defaults)) return scope;
    const problems: NodeProblem[] = [];
    checkKeys(data.defaults, DEFAULTS_KEYS, "'defaults'", problems);
    checkInherited(data.defaults, problems);
    this.report(file, ['defaults'], problems);
    if (problems.length > 0) return scope;
    return this.inherit(data.defaults, ['defaults'], scope, this.templateVars(scope.vars, ''));
  }

  /** The variables templates see, built on first use: most values have no template at all. */
  private templateVars(vars: Record<string, unknown>, id: string): () => TemplateVars {
    let built: TemplateVars | undefined;
    return () => (built ??= { ...vars, params: this.params, run: this.runVars, task: { id, name: id.split('/').pop() ?? id } });
  }

  /** The scope seen by a node's children (or the node's own settings, for a task). */
  private inherit(raw: Mapping, at: PathSegment[], scope: Scope, vars: () => TemplateVars): Scope {
    return inheritScope(raw, at, scope, vars, this.targets, (where, message, extra) => this.issue(scope.file, where, message, extra));
  }

  private expandChildren(raw: unknown, at: PathSegment[], scope: Scope, parent: NodeInstance): void {
    if (!isMapping(raw)) {
      // A list (`- run: …`) or a scalar would otherwise be a workflow of no tasks.
      if (raw !== null && raw !== undefined) this.issue(scope.file, at, `'tasks' must map task ids to tasks, like 'tasks: { prep: { run: ./prep.sh } }'; this is ${Array.isArray(raw) ? 'a list: give each entry an id as its key' : `a ${typeof raw}`}`, { atKey: true });
      return;
    }
    for (const [name, node] of Object.entries(raw)) {
      const problem = checkName(name);
      if (problem) this.issue(scope.file, [...at, name], problem, { atKey: true });
      else if (parent.children!.has(name)) this.issue(scope.file, [...at, name], `duplicate task id '${name}'`, { atKey: true });
      else this.expandNode(name, typeof node === 'string' ? { run: node } : node, [...at, name], scope, parent);
    }
  }

  private expandNode(name: string, raw: unknown, at: PathSegment[], scope: Scope, parent: NodeInstance): void {
    const file = scope.file;
    parent.children!.set(name, []);
    if (this.tooMany) return;
    if (!isMapping(raw)) {
      this.issue(file, at, `'${name}' must be a task (a mapping with 'run') or a group (a mapping with 'tasks')`);
      return;
    }
    const problems: NodeProblem[] = [];
    const kind = checkNode(name, raw, problems);
    if (!this.checked.has(raw)) {
      this.checked.add(raw);
      this.report(file, at, problems);
    }
    if (kind === undefined || problems.length > 0) return;
    let rows: (Record<string, unknown> | undefined)[] = [undefined];
    // A sweep over values a task publishes is one task until they are there (see `addLoop`); made then, it sees them as `tasks`.
    const fanout = this.iteration?.values && this.iteration.control.loop!.group === raw ? this.iteration.values : undefined;
    const reads = fanout ? [] : valueReads(raw);
    if ((raw.foreach !== undefined || raw.zip !== undefined) && reads.length === 0) {
      const sweep = sweepRows(raw.foreach, raw.zip, { ...this.templateVars(scope.vars, parent.id)(), ...(fanout ? { tasks: fanout } : {}) }, new Set(Object.keys(scope.vars)), fanout !== undefined);
      for (const problem of sweep.problems) this.issue(file, [...at, ...problem.path], problem.message, { needle: problem.needle });
      rows = sweep.rows ?? [];
    }
    const declaredPath = parent.id === '' ? name : `${pathOf(parent)}/${name}`;
    rows.forEach((row, index) => {
      if (this.tooMany) return;
      const base = parent.id === '' ? name : `${parent.id}/${name}`;
      const id = row === undefined ? base : `${base}[${index}]`;
      const vars = row === undefined ? scope.vars : { ...scope.vars, ...row };
      // A group that repeats is one task, its loop's control (see `addLoop`); so is a sweep over values.
      const loop = reads.length > 0 || (kind === 'group' && raw.repeat !== undefined);
      const instance = new NodeInstanceImpl(id, parent.depth + 1, parent, kind === 'group' && !loop, declaredPath);
      parent.children!.get(name)!.push(instance);
      const templateVars = this.templateVars(vars, id);
      // (A loop's own settings are read for each iteration, with `repeat` bound.)
      let own = loop ? { ...scope, vars } : this.inherit(raw, at, row === undefined ? scope : { ...scope, vars }, templateVars);
      const after = stringList(raw, 'after', []) ?? [];
      if (after.length > 0) this.pending.push({ from: instance, names: after, scalar: typeof raw.after === 'string', file, path: [...at, 'after'] });
      if (raw.when !== undefined) {
        const when = readWhen(raw.when, { file, at: [...at, 'when'], from: instance, vars: own.vars, params: this.params }, this.pending, (where, message, extra) => this.issue(file, where, message, extra));
        if (when) own = { ...own, when: [...own.when, when] };
      }
      if (loop) this.addLoop(raw, at, own, { id, path: declaredPath, name }, instance, reads);
      else if (kind === 'task') this.addTask(raw, at, own, id, declaredPath, row ?? {}, instance, templateVars);
      else this.expandGroup(raw, at, own, instance);
    });
  }

  private addTask(raw: Mapping, at: PathSegment[], scope: Scope, id: string, declaredPath: string, row: Record<string, unknown>, instance: NodeInstance, vars: () => TemplateVars): void {
    const render = (key: string, value: string, keyPath: PathSegment[]) => {
      if (!hasTemplate(value)) return value;
      const rendered = renderString(value, vars());
      if ('problem' in rendered) {
        this.issue(scope.file, [...at, ...keyPath], rendered.problem.message, { needle: rendered.problem.needle });
        return '';
      }
      return rendered.value;
    };
    const list = (key: 'inputs' | 'outputs') => (stringList(raw, key, []) ?? []).map((item, i) => render(key, item, typeof raw[key] === 'string' ? [key] : [key, i]));
    const inputs = list('inputs');
    const outputs = list('outputs');
    checkStaged({ root: this.root, targets: this.targets, escapes: this.inputEscapes }, scope.target, at, raw, inputs, outputs, (where, message) => this.issue(scope.file, where, message));
    if (this.tasks.length >= MAX_TASKS) {
      // Nested sweeps multiply: stop expanding (and growing) at the limit.
      this.tooMany = true;
      this.issue(scope.file, at, `'${declaredPath}' would make task ${(MAX_TASKS + 1).toLocaleString('en-US')} and more: a workflow has at most ${MAX_TASKS.toLocaleString('en-US')} tasks (sweeps and groups together)`);
      return;
    }
    instance.task = this.tasks.length;
    this.tasks.push({
      id,
      path: declaredPath,
      run: render('run', raw.run as string, ['run']),
      shell: scope.shell,
      cwd: scope.cwd,
      env: scope.env,
      target: scope.target,
      resources: scope.resources,
      retries: scope.retries,
      inputs,
      outputs,
      cache: scope.cache ?? outputs.length > 0,
      ...(typeof raw.description === 'string' ? { description: render('description', raw.description, ['description']) } : {}),
      vars: { ...scope.vars, ...row },
      after: [],
      ...(scope.when.length > 0 ? { when: scope.when } : {}),
    });
  }

  private expandGroup(raw: Mapping, at: PathSegment[], scope: Scope, instance: NodeInstance): void {
    // (Inside a loop, a file read at each iteration might have changed since the run began.)
    if (typeof raw.include === 'string' && this.iteration) this.issue(scope.file, [...at, 'include'], "a group inside a loop cannot 'include' a file (each iteration is made from what the run recorded, not from files that may have changed since): write its tasks in the group");
    else if (typeof raw.include === 'string') this.expandInclude(raw.include, [...at, 'include'], scope, instance);
    if (raw.tasks !== undefined) this.expandChildren(raw.tasks, [...at, 'tasks'], scope, instance);
  }

  private expandInclude(target: string, at: PathSegment[], scope: Scope, instance: NodeInstance): void {
    const file = path.isAbsolute(target) ? target : path.join(path.dirname(scope.file), target);
    const absolute = path.resolve(file);
    if (this.includeStack.includes(absolute)) {
      const chain = [...this.includeStack.slice(this.includeStack.indexOf(absolute)), absolute].map((item) => path.basename(item)).join(' → ');
      return this.issue(scope.file, at, `include cycle: ${chain}`);
    }
    let source;
    try {
      source = readSource(file);
    } catch (error) {
      const issues = (error as { issues?: Issue[] }).issues;
      if (!issues) throw error;
      if (issues[0]?.line === undefined) return this.issue(scope.file, at, `cannot include '${target}': ${issues[0]?.message ?? 'unreadable'}`);
      this.issues.push(...issues);
      return;
    }
    this.texts.set(file, source.text);
    if (!isMapping(source.data)) return this.issue(file, [], 'an included workflow file must be a mapping with tasks');
    this.checkFile(file, source.data, false);
    if (isMapping(source.data.params)) this.params = { ...source.data.params, ...this.params };
    readTargets(source.data, this.targets, (at, message, extra) => this.issue(file, at, message, extra));
    const inner = this.applyDefaults(file, source.data, { ...scope, file });
    this.includeStack.push(absolute);
    if (source.data.tasks === undefined) this.issue(file, [], "the included workflow has no 'tasks'");
    else this.expandChildren(source.data.tasks, ['tasks'], inner, instance);
    this.includeStack.pop();
  }
}

function pathOf(node: NodeInstance): string {
  return (node as NodeInstanceImpl).declaredPath;
}

