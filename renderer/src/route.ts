/**
 * Where the app is, kept in the address's hash so a reload (or a link) comes back to the same
 * place: the editor on a file, a run (and a line of one of its tasks' logs), the clusters.
 */

/** A line of a task's log: what a link to it opens. */
export interface LogPlace {
  task: string;
  stream: 'stdout' | 'stderr';
  attempt: number;
  /** From 1. */
  line: number;
}

export type Route = { view: 'editor'; file?: string; from?: string } | { view: 'runs'; run?: string; at?: LogPlace } | { view: 'compare'; a: string; b: string } | { view: 'clusters' };

/** A part of the address decoded, or as it is when it is not valid percent-encoding (a mangled link). */
function decoded(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

export function parseRoute(hash: string): Route {
  const [path = '', query = ''] = hash.replace(/^#\/?/, '').split('?');
  let params: URLSearchParams;
  try {
    params = new URLSearchParams(query);
  } catch {
    params = new URLSearchParams();
  }
  const [view, id] = path.split('/');
  if (view === 'runs') {
    if (!id) return { view: 'runs' };
    const task = params.get('task');
    const stream = params.get('log');
    const attempt = Number(params.get('attempt'));
    const line = Number(params.get('line'));
    const at: LogPlace | undefined = task && (stream === 'stdout' || stream === 'stderr') && Number.isInteger(attempt) && attempt > 0 && Number.isInteger(line) && line > 0 ? { task, stream, attempt, line } : undefined;
    return { view: 'runs', run: decoded(id), ...(at ? { at } : {}) };
  }
  if (view === 'clusters') return { view: 'clusters' };
  const [, a, b] = path.split('/');
  if (view === 'compare' && a && b) return { view: 'compare', a: decoded(a), b: decoded(b) };
  const file = params.get('file');
  const from = params.get('from');
  return file ? { view: 'editor', file, ...(from ? { from } : {}) } : { view: 'editor' };
}

export function routeHash(route: Route): string {
  if (route.view === 'runs') {
    if (!route.run) return '#/runs';
    const at = route.at ? `?${new URLSearchParams({ task: route.at.task, log: route.at.stream, attempt: String(route.at.attempt), line: String(route.at.line) }).toString()}` : '';
    return `#/runs/${encodeURIComponent(route.run)}${at}`;
  }
  if (route.view === 'clusters') return '#/clusters';
  if (route.view === 'compare') return `#/compare/${encodeURIComponent(route.a)}/${encodeURIComponent(route.b)}`;
  if (!route.file) return '#/editor';
  return `#/editor?file=${encodeURIComponent(route.file)}${route.from ? `&from=${encodeURIComponent(route.from)}` : ''}`;
}
