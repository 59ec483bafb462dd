/**
 * A forecast (forecast.ts) in words, the same in the CLI's live view, `flotilla status` and the
 * app's run header: "ETA 14:32 (in 23 min, ±4 min)", with what it cannot know said plainly.
 */
import type { RunForecast } from './forecast.ts';

/** A span as one reads it at a glance: `40 s`, `12 min`, `2 h 05 min`, `3 d 4 h`. */
export function roughly(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 90) return `${seconds} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 120) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${String(minutes % 60).padStart(2, '0')} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

/** A time of day (local), with its date when it is not on the day of `from`. */
export function clockTime(at: number, from: number): string {
  const date = new Date(at);
  const time = `${String(date.getHours()).padStart(2, '0')}:${String(date.getMinutes()).padStart(2, '0')}`;
  if (new Date(from).toDateString() === date.toDateString()) return time;
  return `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, '0')}-${String(date.getDate()).padStart(2, '0')} ${time}`;
}

/** The ETA in one line; null when there is nothing left to forecast. */
export function etaText(forecast: RunForecast): string | null {
  const { at, eta, low, high } = forecast;
  if (eta === null || low === null || high === null) return null;
  const known = forecast.remaining - forecast.unknown;
  const loops = forecast.loops.filter((loop) => loop.perIteration !== null);
  // (A queued job's expected start still bounds it from below.)
  if (known === 0 && loops.length === 0 && eta - at < 1000) {
    if (forecast.unknown > 0) return `ETA unknown: ${forecast.unknown === 1 ? 'the task left has' : `the ${forecast.unknown} tasks left have`} no history yet`;
    return `ETA unknown: no iteration of ${forecast.loops.map((loop) => loop.task).join(', ')} was timed yet`;
  }
  const spread = Math.max(eta - low, high - eta);
  const plus = spread >= 1000 ? `, ±${roughly(spread)}` : '';
  const words = [`ETA ${forecast.atLeast ? '≥ ' : ''}${clockTime(eta, at)} (in ${forecast.atLeast ? 'at least ' : ''}${roughly(eta - at)}${plus})`];
  if (forecast.unknown > 0) words.push(`${forecast.unknown} task${forecast.unknown === 1 ? '' : 's'} without history`);
  for (const loop of forecast.loops) {
    const each = loop.perIteration === null ? 'no iteration timed yet' : `~${roughly(loop.perIteration)} per iteration`;
    words.push(`loop ${loop.task}: ${each}, how many more is unknown (${loop.made} made${loop.max === null ? '' : `, at most ${loop.max}`})`);
  }
  return words.join('; ');
}

/** The tasks likely stuck, in one line; null when none is. */
export function stuckText(forecast: RunForecast): string | null {
  if (forecast.stuck.length === 0) return null;
  const shown = forecast.stuck.slice(0, 3).map((task) => `${task.task} (running ${roughly(task.elapsed)}, usually ${roughly(task.estimate)})`);
  const more = forecast.stuck.length - shown.length;
  return `likely stuck: ${shown.join(', ')}${more > 0 ? ` and ${more} more` : ''}`;
}
