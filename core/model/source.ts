import { createRequire } from 'node:module';
import type { Node as YamlNode, Pair } from 'yaml';
import { FileRefusedError, readTextFile } from '../util/files.ts';
import { WorkflowError } from './errors.ts';
import type { Issue, PathSegment } from './errors.ts';

/** A workflow file read and parsed to plain data. */
export interface Source {
  /** The path as the user gave it (used in messages). */
  file: string;
  text: string;
  data: unknown;
}

/**
 * Reads and parses a YAML or JSON workflow file. Parsing uses the fast js-yaml loader
 * (JSON is YAML); node positions are only computed, with the `yaml` library, when
 * there is an error to point at (see `locateIssues`).
 */
export function readSource(file: string): Source {
  let text: string;
  try {
    text = readTextFile(file, MAX_WORKFLOW_BYTES);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : error instanceof FileRefusedError ? error.message : String((error as Error).message ?? error);
    throw new WorkflowError([{ file, path: [], message: `cannot read workflow file: ${reason}` }]);
  }
  return { file, text, data: parseText(file, text) };
}

/** Largest workflow file (or include) read: a generated 100,000-task file is about 10 MB. */
export const MAX_WORKFLOW_BYTES = 64 * 1024 * 1024;

/**
 * Most values a YAML document may stand for once its aliases are followed (each use of an
 * alias counts its whole node again): a few aliases nested can otherwise stand for billions.
 */
export const MAX_DOCUMENT_VALUES = 5_000_000;

/**
 * Checks what a YAML document stands for with its aliases followed: an alias that refers to a
 * node containing it (a cycle), or more than MAX_DOCUMENT_VALUES values, is an error at the
 * node where it was found. Without aliases every value is visited once.
 */
function checkExpansion(file: string, text: string, data: unknown): void {
  let values = 0;
  const open = new Set<object>();
  const path: PathSegment[] = [];
  const visit = (value: unknown): void => {
    if (++values > MAX_DOCUMENT_VALUES) {
      throw new WorkflowError([{ file, path: [], line: 1, col: 1, message: `the document stands for more than ${MAX_DOCUMENT_VALUES.toLocaleString('en-US')} values once its YAML aliases are followed (aliases of aliases multiply); at most ${MAX_DOCUMENT_VALUES.toLocaleString('en-US')} are read` }]);
    }
    if (typeof value !== 'object' || value === null) return;
    if (open.has(value)) throw new WorkflowError(locateIssues([{ file, path: [...path], message: 'a YAML alias refers to a node that contains it: the document would be infinite' }], new Map([[file, text]])));
    open.add(value);
    if (Array.isArray(value)) {
      value.forEach((item, index) => {
        path.push(index);
        visit(item);
        path.pop();
      });
    } else {
      for (const key of Object.keys(value)) {
        path.push(key);
        visit((value as Record<string, unknown>)[key]);
        path.pop();
      }
    }
    open.delete(value);
  };
  visit(data);
}

/** Parses text as YAML/JSON, turning syntax errors into a positioned `WorkflowError`. */
export function parseText(file: string, text: string): unknown {
  if (text.trim() === '') {
    throw new WorkflowError([{ file, path: [], message: 'the workflow file is empty', line: 1, col: 1 }]);
  }
  if (/\.json$/i.test(file)) {
    // JSON.parse is many times faster than a YAML parser on big generated files; it keeps the
    // last of duplicate keys silently, so those (and syntax errors) go to the YAML parser,
    // which reports them with a position.
    let data: unknown;
    try {
      // (A byte-order mark, which some editors write, is no part of the JSON.)
      data = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
    } catch (error) {
      // Not JSON, even when it would be YAML (a trailing comma, a comment): said where.
      throw new WorkflowError([{ file, path: [], message: `JSON syntax error: ${jsonReason((error as Error).message)}`, ...jsonPosition(text, (error as Error).message) }]);
    }
    if (!repeatsKey(text, data)) return data;
    // A repeated key: the YAML parser below reports it with its position.
  }
  let data: unknown;
  try {
    data = jsYaml().load(text, { filename: file } as Parameters<typeof import('js-yaml').load>[1]);
  } catch (error) {
    if (error instanceof jsYaml().YAMLException) {
      const mark = error.mark;
      let reason = error.reason;
      if (reason === 'duplicated mapping key' && mark) {
        const key = /^\s*["']?([^"':]+)/.exec(text.slice(mark.position).split('\n')[0] ?? '')?.[1]?.trim();
        reason = `duplicate key${key ? ` '${key}'` : ''} (task ids and keys must be unique within a mapping)`;
      }
      throw new WorkflowError([
        {
          file,
          path: [],
          message: `syntax error: ${reason}`,
          line: mark ? mark.line + 1 : 1,
          // A quoted key is marked after its opening quote; point at the quote.
          col: mark ? mark.column + 1 - (mark.column > 0 && /["']/.test(text[mark.position - 1] ?? '') ? 1 : 0) : 1,
        },
      ]);
    }
    throw error;
  }
  // Only a text with an alias can stand for more than it says.
  if (text.includes('*')) checkExpansion(file, text, data);
  return data;
}

/** V8's message without the position it ends with (given as line and column instead). */
function jsonReason(message: string): string {
  return message.replace(/\s*(in JSON )?at position \d+.*$/s, '').replace(/\s*\(line \d+ column \d+\)$/, '') || message;
}

/** Line and column of a JSON.parse error, from the offset V8 gives (the end when it gives none). */
function jsonPosition(text: string, message: string): { line: number; col: number } {
  const match = /at position (\d+)/.exec(message);
  const offset = match ? Number(match[1]) : text.length;
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, col: offset - before.lastIndexOf('\n') };
}

/**
 * Whether a valid JSON text repeats a key in some object, given what it parsed to. Each key
 * in the text is followed by a colon, and parsing keeps one key per name: a text with no more
 * colons than the parsed data has keys repeats none. Counting both is a few times quicker
 * than the full scan, which decides only when there are more (colons inside strings, or a
 * repeated key).
 */
function repeatsKey(text: string, data: unknown): boolean {
  let colons = 0;
  for (let at = text.indexOf(':'); at !== -1; at = text.indexOf(':', at + 1)) colons++;
  return colons > countKeys(data) && hasDuplicateKey(text);
}

/** How many keys the objects in parsed JSON have, all levels together. */
function countKeys(value: unknown): number {
  if (typeof value !== 'object' || value === null) return 0;
  let keys = 0;
  if (Array.isArray(value)) {
    for (const item of value) keys += countKeys(item);
  } else {
    for (const key in value) keys += 1 + countKeys((value as Record<string, unknown>)[key]);
  }
  return keys;
}

/**
 * Whether any object in a (valid) JSON text repeats a key. One pass over the text: a stack
 * of the keys seen in each open object; strings are compared raw (escapes included).
 */
export function hasDuplicateKey(text: string): boolean {
  // Sets are reused by depth: a big file has as many objects as tasks, but few levels.
  const stack: (Set<string> | null)[] = [];
  const spare: Set<string>[] = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      // The closing quote: the next one not escaped (found by indexOf, not char by char: most
      // of a workflow's text is inside strings, and this runs before any of it is optimized).
      let j = text.indexOf('"', i + 1);
      while (escaped(text, j)) j = text.indexOf('"', j + 1);
      const top = stack[stack.length - 1];
      if (expectKey && top) {
        const key = text.slice(i + 1, j);
        if (top.has(key)) return true;
        top.add(key);
        expectKey = false;
      }
      i = j;
    } else if (c === 0x7b /* { */) {
      const keys = (spare[stack.length] ??= new Set());
      keys.clear();
      stack.push(keys);
      expectKey = true;
    } else if (c === 0x5b /* [ */) {
      stack.push(null);
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop();
    } else if (c === 0x2c /* , */) {
      expectKey = stack[stack.length - 1] !== null;
    }
  }
  return false;
}

/** Whether the character at `at` follows an odd number of backslashes. */
function escaped(text: string, at: number): boolean {
  let before = at - 1;
  while (text.charCodeAt(before) === 0x5c /* \ */) before--;
  return (at - 1 - before) % 2 === 1;
}

/** Fills in `line`/`col` of each issue from its path, parsing each file's text once. */
export function locateIssues(issues: Issue[], texts: Map<string, string>): Issue[] {
  const locators = new Map<string, Locator>();
  return issues.map((issue) => {
    if (issue.line !== undefined) return issue;
    const text = texts.get(issue.file);
    if (text === undefined) return issue;
    let locator = locators.get(issue.file);
    if (!locator) {
      locator = new Locator(text);
      locators.set(issue.file, locator);
    }
    return { ...issue, ...locator.locate(issue) };
  });
}

/** A package loaded on first use, not at start-up. */
function onDemand<T>(name: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= createRequire(import.meta.url)(name) as T);
}

/** The `yaml` library, loaded only when there is an error to position (it is big). */
const yaml = onDemand<typeof import('yaml')>('yaml');

/** js-yaml, loaded when YAML is parsed: a run of a JSON workflow never needs it (start-up counts). */
const jsYaml = onDemand<typeof import('js-yaml')>('js-yaml');

/**
 * Parses YAML (or JSON) text to plain data; throws js-yaml's error on bad syntax, and a
 * `WorkflowError` (named `source`) for aliases that stand for too much or for themselves.
 */
export function loadYaml(text: string, source = 'the value'): unknown {
  const data = jsYaml().load(text);
  if (text.includes('*')) checkExpansion(source, text, data);
  return data;
}

class Locator {
  private readonly counter = new (yaml().LineCounter)();
  private readonly root: YamlNode | null;
  private readonly text: string;

  constructor(text: string) {
    this.text = text;
    const document = yaml().parseDocument(text, { lineCounter: this.counter, uniqueKeys: false });
    this.root = document.contents as YamlNode | null;
  }

  locate(issue: Issue): { line: number; col: number } {
    let node: YamlNode | null = this.root;
    let keyNode: YamlNode | null = null;
    for (const segment of issue.path) {
      const found = child(node, segment);
      if (!found) break;
      keyNode = found.key;
      node = found.value;
    }
    let offset = (issue.atKey ? keyNode : node)?.range?.[0] ?? keyNode?.range?.[0] ?? 0;
    if (issue.needle && node?.range) {
      const raw = this.text.slice(node.range[0], node.range[1]);
      const index = raw.indexOf(issue.needle);
      if (index >= 0) offset = node.range[0] + index;
    }
    const position = this.counter.linePos(offset);
    return { line: position.line, col: position.col };
  }
}

function child(node: YamlNode | null, segment: PathSegment): { key: YamlNode | null; value: YamlNode | null } | undefined {
  const { isMap, isPair, isScalar, isSeq } = yaml();
  if (isMap(node)) {
    const pair = node.items.find((item: Pair) => isScalar(item.key) && String(item.key.value) === String(segment));
    if (!pair) return undefined;
    return { key: pair.key as YamlNode, value: (pair.value as YamlNode | null) ?? (pair.key as YamlNode) };
  }
  if (isSeq(node) && typeof segment === 'number') {
    const item = node.items[segment];
    if (item === undefined) return undefined;
    const value = isPair(item) ? (item.value as YamlNode) : (item as YamlNode);
    return { key: value, value };
  }
  return undefined;
}
