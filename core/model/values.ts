/**
 * Values a task publishes for later decisions (`when`, `until`, a `foreach` over a value): it
 * appends `name=value` lines to the file `$FLOTILLA_VALUES` names. A value is read as JSON when
 * it parses as JSON (`3`, `true`, `["a", "b"]`), else as the text it is (`done=yes` is "yes");
 * a name written twice keeps its last value. The file is the task's output, so hostile data:
 * it is read within a size cap, and a line that is not `name=value` fails the attempt with its
 * line number rather than being guessed at.
 */
import type { Value } from './expr.ts';

/** Most bytes of a values file read (a decision needs a few numbers, not a data set). */
export const MAX_VALUES_BYTES = 64 * 1024;
/** Most names one attempt publishes. */
export const MAX_VALUES = 1000;

/** A published value's name. */
export const VALUE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export type PublishedValues = Record<string, Value>;

/** The values a file's text publishes, or what is wrong with it (its line). `size`: the file's size, when more was there than read. */
export function parseValues(text: string, size = Buffer.byteLength(text)): { values: PublishedValues } | { problem: string } {
  if (size > MAX_VALUES_BYTES) return { problem: `its values file is ${size.toLocaleString('en-US')} bytes; at most ${MAX_VALUES_BYTES.toLocaleString('en-US')} are read (publish a few values, not data: write data to a file)` };
  const values: PublishedValues = Object.create(null) as PublishedValues;
  const lines = text.split('\n');
  let count = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, '');
    if (line.trim() === '') continue;
    const eq = line.indexOf('=');
    const name = eq < 0 ? '' : line.slice(0, eq).trim();
    if (!VALUE_NAME.test(name)) {
      const shown = line.length > 60 ? `${line.slice(0, 57)}…` : line;
      return { problem: `its values file, line ${i + 1}: ${JSON.stringify(shown)} is not name=value (a name of letters, digits and _)` };
    }
    if (!(name in values) && ++count > MAX_VALUES) return { problem: `its values file publishes more than ${MAX_VALUES} names` };
    const value = readValue(line.slice(eq + 1));
    if (!allFinite(value)) return { problem: `its values file, line ${i + 1}: ${name} holds a number too large to hold (JSON has no Infinity)` };
    values[name] = value;
  }
  return { values: { ...values } };
}

/** Whether every number in a value is finite (JSON.parse reads 1e999 as Infinity, which JSON cannot write back). */
function allFinite(value: Value): boolean {
  if (typeof value === 'number') return Number.isFinite(value);
  if (Array.isArray(value)) return value.every(allFinite);
  if (value !== null && typeof value === 'object') return Object.values(value).every(allFinite);
  return true;
}

/** A value as written: JSON when it parses as JSON, else the text (without the spaces around it). */
function readValue(text: string): Value {
  const trimmed = text.trim();
  if (trimmed === '') return '';
  try {
    return JSON.parse(trimmed) as Value;
  } catch {
    return trimmed;
  }
}
