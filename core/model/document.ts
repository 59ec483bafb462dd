/**
 * Editing a workflow file as data without losing what the user wrote around it. An editor
 * (the desktop app's graph) changes the file's plain value; `mergeIntoText` carries that
 * value back into the file's YAML, node by node: untouched keys keep their comments, their
 * quoting and their block style, new keys are appended, removed keys go. JSON files are
 * written as JSON.
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Document, Node as YamlNode } from 'yaml';

/** The `yaml` library, loaded on the first edit (it is big; commands that never edit skip it). */
let library: typeof import('yaml') | undefined;
const yaml = () => (library ??= createRequire(import.meta.url)('yaml') as typeof import('yaml'));

/** A short fingerprint of a file's text: saves name the version they were made from. */
export function textVersion(text: string): string {
  return createHash('sha256').update(text).digest('base64url').slice(0, 16);
}

/** The file's text with its data replaced by `value`, keeping comments and styles of what did not change. */
export function mergeIntoText(file: string, base: string, value: unknown): string {
  if (/\.json$/i.test(file)) return `${JSON.stringify(value, null, 2)}\n`;
  const document = yaml().parseDocument(base, { keepSourceTokens: false });
  if (document.errors.length > 0 || base.trim() === '') {
    // Nothing of the old file can be kept node by node: write the value afresh.
    return stringify(newDocument(value));
  }
  // Nothing changed: the file stays byte for byte (re-printing would normalize its spacing).
  if (sameValue(document.toJS({ maxAliasCount: -1 }), value)) return base;
  const habit = flowHabit(document, base);
  document.contents = merge(document, document.contents as YamlNode | null, value, true) as typeof document.contents;
  if (!sameValue(document.toJS({ maxAliasCount: -1 }), value)) {
    // An alias kept while its anchor's value changed elsewhere in the same save: merged again
    // with every alias written out, the file says exactly the value.
    const again = yaml().parseDocument(base, { keepSourceTokens: false });
    again.contents = merge(again, again.contents as YamlNode | null, value, false) as typeof again.contents;
    keepFlowPadding(again, base, habit);
    return stringify(again);
  }
  keepFlowPadding(document, base, habit);
  return stringify(document);
}

/** Whether the file pads its flow mappings (`{ a: b }`) and its flow sequences (`[ a ]`), by majority. */
function flowHabit(document: Document, base: string): { map: boolean; seq: boolean } {
  const votes = { map: [0, 0], seq: [0, 0] };
  yaml().visit(document, (_key, node) => {
    const padded = paddingOf(node as YamlNode, base);
    if (padded !== undefined) votes[yaml().isMap(node) ? 'map' : 'seq'][padded ? 0 : 1]!++;
  });
  return { map: votes.map[0]! > votes.map[1]!, seq: votes.seq[0]! > votes.seq[1]! };
}

/** Whether a flow collection read from `base` was written padded; undefined for anything else. */
function paddingOf(node: YamlNode, base: string): boolean | undefined {
  if (!(yaml().isMap(node) || yaml().isSeq(node)) || !node.flow || !node.range || node.items.length === 0) return undefined;
  return base[node.range[0] + 1] === ' ';
}

/**
 * The printer pads every flow collection alike (one setting for the file), while files mix
 * `{ run: x, outputs: [a] }`: each collection is printed as it was written, and a new one as
 * the file writes its kind.
 */
function keepFlowPadding(document: Document, base: string, habit: { map: boolean; seq: boolean }): void {
  yaml().visit(document, (_key, node) => {
    if (!(yaml().isMap(node) || yaml().isSeq(node)) || !node.flow) return;
    const padded = paddingOf(node as YamlNode, base) ?? habit[yaml().isMap(node) ? 'map' : 'seq'];
    const print = Object.getPrototypeOf(node).toString as (ctx?: { flowCollectionPadding?: string }, ...rest: unknown[]) => string;
    Object.defineProperty(node, 'toString', {
      value(ctx?: { flowCollectionPadding?: string }, ...rest: unknown[]) {
        return print.call(this, ctx && { ...ctx, flowCollectionPadding: padded ? ' ' : '' }, ...rest);
      },
    });
  });
}

function newDocument(value: unknown): Document {
  const document = yaml().parseDocument('');
  document.contents = document.createNode(value) as typeof document.contents;
  return document;
}

function stringify(document: Document): string {
  return document.toString({ lineWidth: 0, flowCollectionPadding: false });
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((item, i) => sameValue(item, b[i]));
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = Object.keys(a);
    const others = Object.keys(b);
    return keys.length === others.length && keys.every((key, i) => others[i] === key && sameValue(a[key], b[key]));
  }
  return false;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `node` updated to hold `value`: the same node where the kinds agree, a new one (keeping comments) where not. */
function merge(document: Document, node: YamlNode | null, value: unknown, aliases: boolean): YamlNode {
  // An alias (`*common`) that still stands for the value stays an alias (`aliases`).
  if (aliases && yaml().isAlias(node) && sameValue(node.resolve(document)?.toJS(document), value)) return node;
  if (isPlainObject(value) && yaml().isMap(node)) {
    // An empty `{}` that gains keys is a placeholder, not a chosen style: it grows as a block.
    if (node.items.length === 0 && Object.keys(value).length > 0) node.flow = false;
    const wanted = new Set(Object.keys(value));
    node.items = node.items.filter((pair) => wanted.has(String(yaml().isScalar(pair.key) ? pair.key.value : pair.key)));
    for (const [key, child] of Object.entries(value)) {
      const pair = node.items.find((item) => String(yaml().isScalar(item.key) ? item.key.value : item.key) === key);
      if (pair) pair.value = merge(document, pair.value as YamlNode | null, child, aliases);
      else node.items.push(document.createPair(key, child));
    }
    return node;
  }
  if (Array.isArray(value) && yaml().isSeq(node)) {
    if (node.items.length === 0 && value.length > 0) node.flow = false;
    node.items = node.items.slice(0, value.length);
    value.forEach((child, index) => {
      node.items[index] = index < node.items.length ? merge(document, node.items[index] as YamlNode | null, child, aliases) : document.createNode(child);
    });
    return node;
  }
  if (yaml().isScalar(node) && !isPlainObject(value) && !Array.isArray(value)) {
    if (node.value !== value) {
      // A multi-line string in a plain or quoted scalar reads better as a block.
      if (typeof value === 'string' && value.includes('\n') && node.type !== 'BLOCK_FOLDED') node.type = 'BLOCK_LITERAL';
      if (typeof value !== 'string' && node.type !== 'PLAIN') node.type = 'PLAIN';
      node.value = value;
    }
    return node;
  }
  const created = document.createNode(value) as YamlNode;
  if (typeof value === 'string' && value.includes('\n') && yaml().isScalar(created)) created.type = 'BLOCK_LITERAL';
  if (node) {
    if (node.commentBefore) created.commentBefore = node.commentBefore;
    if (node.comment) created.comment = node.comment;
  }
  return created;
}
