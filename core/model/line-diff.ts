/**
 * A line diff of two texts (Myers' O(ND) algorithm), as hunks with context: what `flotilla diff`
 * and the app's Compare view show of two runs' workflow files.
 */

export interface DiffLine {
  kind: ' ' | '-' | '+';
  text: string;
}

export interface Hunk {
  /** First line (from 1) and count of lines in each text. */
  a: number;
  aLines: number;
  b: number;
  bLines: number;
  lines: DiffLine[];
}

/** Edits looked at, at most (the search keeps one row of 2 × MAX_EDITS numbers per edit): texts further apart are said to differ, not shown. */
export const MAX_EDITS = 1000;

/** The edit script between two lists of lines; null when they differ by more than MAX_EDITS lines. */
export function diffLines(a: readonly string[], b: readonly string[]): DiffLine[] | null {
  const n = a.length;
  const m = b.length;
  const max = Math.min(n + m, MAX_EDITS);
  const offset = max + 1;
  let v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  for (let d = 0; d <= max; d++) {
    trace.push(v.slice());
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[offset + k - 1]! < v[offset + k + 1]!) ? v[offset + k + 1]! : v[offset + k - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) return backtrack(a, b, trace, d, offset);
    }
    v = v.slice();
  }
  return null;
}

function backtrack(a: readonly string[], b: readonly string[], trace: Int32Array[], depth: number, offset: number): DiffLine[] {
  const lines: DiffLine[] = [];
  let x = a.length;
  let y = b.length;
  for (let d = depth; d > 0; d--) {
    // The furthest points of round d - 1, from which round d made one edit and then followed a diagonal.
    const before = trace[d]!;
    const k = x - y;
    const down = k === -d || (k !== d && before[offset + k - 1]! < before[offset + k + 1]!);
    const fromX = before[offset + (down ? k + 1 : k - 1)]!;
    const afterX = down ? fromX : fromX + 1;
    while (x > afterX) {
      lines.push({ kind: ' ', text: a[--x]! });
      y--;
    }
    if (down) lines.push({ kind: '+', text: b[--y]! });
    else lines.push({ kind: '-', text: a[--x]! });
  }
  while (x > 0) {
    lines.push({ kind: ' ', text: a[--x]! });
    y--;
  }
  return lines.reverse();
}

/** The edits in hunks, each with up to `context` unchanged lines around it; none when the texts are the same. */
export function hunks(lines: readonly DiffLine[], context = 3): Hunk[] {
  const changed: number[] = [];
  lines.forEach((line, i) => line.kind !== ' ' && changed.push(i));
  // Line numbers in each text where each diff line stands (from 1).
  const aAt: number[] = [];
  const bAt: number[] = [];
  let aLine = 1;
  let bLine = 1;
  for (const line of lines) {
    aAt.push(aLine);
    bAt.push(bLine);
    if (line.kind !== '+') aLine++;
    if (line.kind !== '-') bLine++;
  }
  const result: Hunk[] = [];
  for (let g = 0; g < changed.length; ) {
    let end = g;
    // Changes closer than twice the context share a hunk.
    while (end + 1 < changed.length && changed[end + 1]! - changed[end]! <= 2 * context + 1) end++;
    const from = Math.max(0, changed[g]! - context);
    const to = Math.min(lines.length, changed[end]! + context + 1);
    const part = lines.slice(from, to);
    result.push({ a: aAt[from]!, aLines: part.filter((line) => line.kind !== '+').length, b: bAt[from]!, bLines: part.filter((line) => line.kind !== '-').length, lines: part });
    g = end + 1;
  }
  return result;
}
