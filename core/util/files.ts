import { closeSync, openSync, readSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * Up to `limit` bytes of a file from `offset` (a log being written: what is new since the
 * last read), and the file's size then. Undefined when the file does not exist yet.
 */
export function readFrom(file: string, offset: number, limit = Number.POSITIVE_INFINITY): { bytes: Buffer; size: number } | undefined {
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    return undefined;
  }
  const length = Math.max(0, Math.min(size - offset, limit));
  const bytes = Buffer.alloc(length);
  if (length === 0) return { bytes, size };
  const fd = openSync(file, 'r');
  try {
    const read = readSync(fd, bytes, 0, length, offset);
    return { bytes: bytes.subarray(0, read), size };
  } finally {
    closeSync(fd);
  }
}

/**
 * `path.resolve(root, relative)`, remembered per relative path: a run resolves the same few
 * working folders again for every task it hashes and submits.
 */
export function folderResolver(root: string): (relative: string) => string {
  const known = new Map<string, string>();
  return (relative) => {
    let folder = known.get(relative);
    if (folder === undefined) known.set(relative, (folder = path.resolve(root, relative)));
    return folder;
  };
}
