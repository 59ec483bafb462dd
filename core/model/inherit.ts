/**
 * What a node inherits from its enclosing groups — cwd, env, target, resources, retries,
 * shell, cache — and how a node's own keys change it (README "Inherited keys").
 */
import path from 'node:path';
import { didYouMean } from './errors.ts';
import type { Issue, PathSegment } from './errors.ts';
import { INHERITED_KEYS } from './keys.ts';
import { isMapping } from './node-check.ts';
import type { Mapping } from './node-check.ts';
import { parseResources } from './resources.ts';
import { hasTemplate, renderString, renderTemplate } from './template.ts';
import type { TemplateVars } from './template.ts';
import type { Inherited, TargetSpec } from './types.ts';

type Report = (at: PathSegment[], message: string, extra?: Partial<Issue>) => void;

/**
 * The scope a node's children see (or a task's own settings): the inherited keys it sets,
 * templates rendered, over those of its enclosing groups. Problems go to `issue`, at `at`.
 */
export function inheritScope<S extends Inherited>(raw: Mapping, at: PathSegment[], scope: S, vars: () => TemplateVars, targets: Record<string, TargetSpec>, issue: Report): S {
  if (INHERITED_KEYS.every((key) => raw[key] === undefined)) return scope;
  const next: S = { ...scope };
  const text = (key: string, value: string, keyPath: PathSegment[] = [key]) => {
    if (!hasTemplate(value)) return value;
    const rendered = renderString(value, vars());
    if ('problem' in rendered) {
      issue([...at, ...keyPath], rendered.problem.message, { needle: rendered.problem.needle });
      return undefined;
    }
    return rendered.value;
  };
  if (typeof raw.cwd === 'string') {
    const cwd = text('cwd', raw.cwd);
    if (cwd !== undefined) next.cwd = path.posix.isAbsolute(cwd) ? path.posix.normalize(cwd) : joinRelative(scope.cwd, cwd);
  }
  if (isMapping(raw.env)) {
    next.env = { ...scope.env };
    for (const [name, value] of Object.entries(raw.env)) {
      const rendered = typeof value === 'string' ? text('env', value, ['env', name]) : String(value);
      if (rendered !== undefined) next.env[name] = rendered;
    }
  }
  if (typeof raw.target === 'string') {
    const target = text('target', raw.target);
    if (target !== undefined && !targets[target]) {
      issue([...at, 'target'], `unknown target '${target}'${didYouMean(target, Object.keys(targets))}; declared targets: ${Object.keys(targets).join(', ')}`);
    } else if (target !== undefined) next.target = target;
  }
  if (isMapping(raw.resources)) {
    const rendered: Mapping = {};
    for (const [key, value] of Object.entries(raw.resources)) {
      if (typeof value !== 'string' || !hasTemplate(value)) rendered[key] = value;
      else {
        const result = renderTemplate(value, vars());
        if ('problem' in result) issue([...at, 'resources', key], result.problem.message, { needle: result.problem.needle });
        else rendered[key] = result.value;
      }
    }
    const { resources, problems } = parseResources(rendered);
    for (const problem of problems) issue([...at, 'resources', problem.key], problem.message);
    next.resources = { ...scope.resources, ...resources };
  }
  if (typeof raw.retries === 'number') next.retries = raw.retries;
  if (typeof raw.shell === 'string') next.shell = raw.shell;
  if (typeof raw.cache === 'boolean') next.cache = raw.cache;
  return next;
}

function joinRelative(base: string, child: string): string {
  const joined = path.posix.join(base, child);
  return joined === '.' ? '' : joined;
}
