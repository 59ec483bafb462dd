/** The end of a log as the task panel keeps it (a log can be any size): no React here. */

/** What is kept of a log: its last MAX_KEPT characters, from a whole line, and how many lines came before. */
export interface KeptLog {
  text: string;
  dropped: number;
}

export const EMPTY_LOG: KeptLog = { text: '', dropped: 0 };
export const MAX_KEPT = 2_000_000;

export function keepTail(log: KeptLog, more: string): KeptLog {
  const joined = log.text + more;
  if (joined.length <= MAX_KEPT) return { text: joined, dropped: log.dropped };
  const cut = joined.indexOf('\n', joined.length - MAX_KEPT);
  const from = cut < 0 ? joined.length - MAX_KEPT : cut + 1;
  let dropped = log.dropped;
  for (let at = joined.indexOf('\n'); at >= 0 && at < from; at = joined.indexOf('\n', at + 1)) dropped++;
  return { text: joined.slice(from), dropped };
}
