/**
 * What may be staged: inputs go up to a cluster and outputs come back, so both are checked
 * against the workflow's folder when the file is validated. An input is judged by where it
 * really leads (a symbolic link inside the folder to a file outside it would upload that file);
 * an output is a path below the task's folder, never absolute and never through `..`.
 */
import { globSync, readdirSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { leavesFolder } from '../util/files.ts';
import type { PathSegment } from './errors.ts';
import type { TargetSpec } from './types.ts';

/** Why an output pattern cannot be fetched safely, or undefined when it can. */
export function outputProblem(pattern: string): string | undefined {
  if (pattern.startsWith('/') || path.isAbsolute(pattern)) return `output '${pattern}' is an absolute path: outputs are paths below the task's folder`;
  if (pattern.split(/[\\/]/).includes('..')) return `output '${pattern}' goes up with '..': outputs are paths below the task's folder`;
  return undefined;
}

/** Files an input folder may hold before the check gives up looking (it then trusts staging's own check). */
const MAX_WALK = 100_000;

/**
 * The first file of an input pattern (relative to `root`) whose real path is outside `root`,
 * with where it leads; undefined when all stay inside or nothing matches yet (an input an
 * earlier task makes). Folders are walked; links inside them are judged by their target.
 */
export function inputEscape(root: string, pattern: string): { file: string; target: string } | undefined {
  let realRoot: string;
  try {
    realRoot = realpathSync(root);
  } catch {
    return undefined;
  }
  if (path.isAbsolute(pattern)) return { file: pattern, target: pattern };
  const matches = /[*?[{]/.test(pattern) ? globSync(pattern, { cwd: root }) : [pattern];
  let walked = 0;
  const outside = (file: string): { file: string; target: string } | undefined => {
    let real: string;
    try {
      real = realpathSync(file);
    } catch {
      return undefined; // missing, or a dangling link: staging reports it
    }
    const relative = path.relative(realRoot, real);
    if (leavesFolder(relative)) return { file: path.relative(root, file), target: real };
    return undefined;
  };
  const visit = (file: string): { file: string; target: string } | undefined => {
    const escape = outside(file);
    if (escape || ++walked > MAX_WALK) return escape;
    let stat;
    try {
      // Followed: a link to a folder inside is walked as that folder (a loop ends at MAX_WALK).
      stat = statSync(file);
    } catch {
      return undefined;
    }
    if (!stat.isDirectory()) return undefined;
    for (const entry of readdirSync(file)) {
      const found = visit(path.join(file, entry));
      if (found) return found;
    }
    return undefined;
  };
  for (const match of matches) {
    const found = visit(path.resolve(root, match));
    if (found) return found;
  }
  return undefined;
}

/** What checking a node's staged paths needs: the run root, the targets, and input patterns already judged (a sweep shares its inputs). */
export interface StagedContext {
  root: string;
  targets: Record<string, TargetSpec>;
  escapes: Map<string, { file: string; target: string } | null>;
}

/** Outputs stay below the task's folder; a remote task's inputs lead nowhere outside the run's root. */
export function checkStaged(context: StagedContext, target: string, at: PathSegment[], raw: Record<string, unknown>, inputs: string[], outputs: string[], issue: (at: PathSegment[], message: string) => void): void {
  const where = (key: string, i: number): PathSegment[] => [...at, ...(typeof raw[key] === 'string' ? [key] : [key, i])];
  outputs.forEach((output, i) => {
    const problem = outputProblem(output);
    if (problem) issue(where('outputs', i), problem);
  });
  if (inputs.length === 0 || (context.targets[target]?.type ?? 'local') === 'local') return;
  inputs.forEach((input, i) => {
    let escape = context.escapes.get(input);
    if (escape === undefined) context.escapes.set(input, (escape = inputEscape(context.root, input) ?? null));
    if (escape) issue(where('inputs', i), `input '${input}' leads outside the workflow's folder ${context.root} (${escape.file} → ${escape.target}): it would be uploaded to target '${target}'; copy the file into the folder, or stage it another way`);
  });
}
