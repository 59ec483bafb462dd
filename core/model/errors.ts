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

/** Thrown by `loadWorkflow` when a workflow file is invalid; nothing has run. */
export class WorkflowError extends Error {
  readonly code = 'invalid-workflow';
  readonly issues: Issue[];

  constructor(issues: Issue[]) {
    super(issues.map(formatIssue).join('\n'));
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
