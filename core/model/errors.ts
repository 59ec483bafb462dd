/** A step in a path into a parsed document: a mapping key or a sequence index. */
export type PathSegment = string | number;

/** One problem found in a workflow file, pointing at the offending node. */
export interface Issue {
  /** Absolute or user-given path of the file the problem is in. */
  file: string;
  /** Path of the node in the parsed document; `[]` is the document itself. */
  path: PathSegment[];
  message: string;
  /** Point at the mapping key rather than its value (unknown keys, duplicate ids). */
  atKey?: boolean;
  /** A piece of text inside a string value to point at (a template expression). */
  needle?: string;
  /** 1-based position, once known (syntax errors carry it from the parser). */
  line?: number;
  col?: number;
}

/**
 * Every error code a caller can get, with what it means: the contract (core/api) passes each
 * on as it is, and the CLI maps them to exit codes. One list, here at the bottom, so that
 * each layer throws the code callers see.
 */
export const ERROR_CODES = {
  'bad-arguments': "a call's arguments do not fit its schema (the message names the field)",
  'unknown-method': 'no such method',
  'invalid-workflow': 'the workflow file has problems (each in `issues`, with its place); nothing ran',
  'no-such-file': 'the file does not exist',
  'cannot-read': 'the file cannot be read',
  'cannot-save': 'the file (or its folder) cannot be written',
  conflict: 'the file changed on disk since it was opened',
  unparsable: 'a save over a file that does not parse: never written',
  'no-such-run': 'a run reference matches no run, or several; or an attempt that is not there',
  'no-such-task': 'the run has no such task',
  'bad-selection': 'a selection (`only`) names nothing in the workflow',
  'run-busy': 'another live process drives the run, or a run of the same workflow in the same folder',
  'plan-changed': "a resubmit with reload whose tasks' dependencies or targets changed",
  'loop-moved-on': 'a resubmit of a task in an iteration its loop has gone past (the later iterations would have to be discarded)',
  unreachable: 'a cluster cannot be reached, or this process reaches none',
  'ssh-config': 'an ssh_config file cannot be read',
  'target-setup': 'a run has a remote target and this process has no way to reach it',
  'store-incompatible': 'the store was made by another version of Flotilla',
  'store-damaged': 'the store lost data (what to do is in the message)',
  internal: 'anything else: a defect',
  disconnected: 'the interface lost its connection to the core (web mode); it reconnects by itself',
} as const satisfies Record<string, string>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** An error whose code callers see (the contract passes it on). */
export class CodedError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

/** Thrown by `loadWorkflow` when a workflow file is invalid; nothing has run. */
export class WorkflowError extends CodedError {
  readonly issues: Issue[];

  constructor(issues: Issue[]) {
    super('invalid-workflow', issues.map(formatIssue).join('\n'));
    this.name = 'WorkflowError';
    this.issues = issues;
  }
}

/** `FILE:LINE:COL: message`, the form editors and terminals link to. */
export function formatIssue(issue: Issue): string {
  const where = issue.line === undefined ? issue.file : `${issue.file}:${issue.line}:${issue.col ?? 1}`;
  return `${where}: ${issue.message}`;
}

/** Edit distance, for "did you mean" hints. */
export function editDistance(a: string, b: string): number {
  const previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = previous[0]!;
    previous[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = previous[j]!;
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      previous[j] = Math.min(above + 1, previous[j - 1]! + 1, diagonal + cost);
      diagonal = above;
    }
  }
  return previous[b.length]!;
}

/** The closest candidate to `word`, if close enough to be a plausible typo. */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  const limit = Math.max(1, Math.floor(word.length / 3));
  return bestDistance <= limit ? best : undefined;
}

/** ` (did you mean 'x'?)` or nothing. */
export function didYouMean(word: string, candidates: Iterable<string>): string {
  const guess = closest(word, candidates);
  return guess === undefined ? '' : ` (did you mean '${guess}'?)`;
}
