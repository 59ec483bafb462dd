/**
 * The inspector's fields as text and back: lists one per line, environments as NAME=value,
 * sweeps as `name = 1, 2, 3`, scalars typed as the file would type them. No React here.
 */
import { isMapping } from './model.ts';
import type { Mapping } from './model.ts';

/** A value as one line of text (structures as JSON). */
export const text = (value: unknown): string => (value === undefined || value === null ? '' : typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : JSON.stringify(value));

export function lines(value: unknown): string {
  if (Array.isArray(value)) return value.map(text).join('\n');
  return text(value);
}

export function fromLines(value: string): string[] | undefined {
  const list = value
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
  return list.length > 0 ? list : undefined;
}

export function envText(value: unknown): string {
  return isMapping(value) ? Object.entries(value).map(([key, entry]) => `${key}=${text(entry)}`).join('\n') : '';
}

export function envValue(value: string): Mapping | undefined {
  const env: Mapping = {};
  for (const line of value.split('\n')) {
    const cut = line.indexOf('=');
    if (line.trim() === '') continue;
    if (cut <= 0) env[line.trim()] = '';
    else env[line.slice(0, cut).trim()] = line.slice(cut + 1);
  }
  return Object.keys(env).length > 0 ? env : undefined;
}

/** A scalar typed as the file would: numbers and booleans as such, the rest as text. */
export function scalar(word: string): unknown {
  const trimmed = word.trim();
  if (/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(trimmed)) return Number(trimmed);
  if (trimmed === 'true' || trimmed === 'false') return trimmed === 'true';
  return trimmed.replace(/^(["'])(.*)\1$/, '$2');
}

/** `name = 1, 2, 3` per line (or `name = {{ params.x }}`). */
export function sweepText(value: unknown): string {
  if (!isMapping(value)) return '';
  return Object.entries(value)
    .map(([name, values]) => `${name} = ${Array.isArray(values) ? values.map(text).join(', ') : text(values)}`)
    .join('\n');
}

export function sweepValue(value: string): { value: Mapping | undefined; error?: string } {
  const sweep: Mapping = {};
  for (const line of value.split('\n')) {
    if (line.trim() === '') continue;
    const cut = line.indexOf('=');
    if (cut <= 0) return { value: undefined, error: `'${line.trim()}': write name = value, value, …` };
    const name = line.slice(0, cut).trim();
    const values = line.slice(cut + 1).trim();
    sweep[name] = values.includes('{{') ? values : values.split(',').map(scalar);
  }
  return { value: Object.keys(sweep).length > 0 ? sweep : undefined };
}

/**
 * A group's `repeat` with one key changed: `max` typed as a number, `on_max: fail` (the
 * default) left out, an emptied key removed (the core then says what is missing).
 */
export function repeatPatch(repeat: Mapping, key: string, value: unknown): Mapping {
  const next: Mapping = { ...repeat };
  const typed = key === 'max' && typeof value === 'string' ? scalar(value) : value;
  if (typed === '' || (key === 'on_max' && typed === 'fail')) delete next[key];
  else next[key] = typed;
  return next;
}
