import { closeSync, constants, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';

/**
 * Up to `limit` bytes of a file from `offset` (a log being written: what is new since the
 * last read), and the file's size then. Undefined when the file does not exist yet (or is no
 * regular file).
 */
export function readFrom(file: string, offset: number, limit = Number.POSITIVE_INFINITY): { bytes: Buffer; size: number } | undefined {
  let size: number;
  try {
    // (No exception for a missing file: most attempts publish no values, and a throw costs.)
    const stats = statSync(file, { throwIfNoEntry: false });
    // A log is a regular file; anything else in its place (a folder a task made, a FIFO) has none.
    if (!stats?.isFile()) return undefined;
    size = stats.size;
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

/** Thrown by `readTextFile` for a path that is no regular file, or one over its limit. */
export class FileRefusedError extends Error {
  readonly code: 'not-a-file' | 'too-big';

  constructor(code: 'not-a-file' | 'too-big', message: string) {
    super(message);
    this.code = code;
  }
}

/**
 * A regular file's text, at most `limit` bytes: a device (`/dev/zero`), a FIFO (which would
 * block until a writer came) or a folder is refused before anything is read, and so is a file
 * larger than `limit`. Errors of the system (ENOENT …) are thrown as they come.
 */
export function readTextFile(file: string, limit: number): string {
  // Opened without blocking (a FIFO would wait for a writer); checked on the open file itself.
  const fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) throw new FileRefusedError('not-a-file', `${file} is not a regular file (${stats.isDirectory() ? 'a folder' : stats.isFIFO() ? 'a FIFO' : stats.isCharacterDevice() || stats.isBlockDevice() ? 'a device' : 'a special file'})`);
    if (stats.size > limit) throw new FileRefusedError('too-big', `${file} is ${stats.size.toLocaleString('en-US')} bytes; at most ${limit.toLocaleString('en-US')} are read`);
    const bytes = Buffer.alloc(stats.size);
    let read = 0;
    while (read < bytes.length) {
      const n = readSync(fd, bytes, read, bytes.length - read, read);
      if (n === 0) break;
      read += n;
    }
    return bytes.subarray(0, read).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** Whether a path relative to a folder (as `path.relative` gives it) leads out of that folder. */
export function leavesFolder(relative: string): boolean {
  return relative === '..' || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative);
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

/** Longest stem of an attempt's file names, in bytes: room for `.N.status` and a temporary suffix under the 255 a name may have. */
const MAX_STEM_BYTES = 120;

/**
 * The stem of a task's attempt files and folders (`STEM.N.out`, `.flotilla/RUN/STEM.N`): the id
 * with `%` written `%25` and `/` written `%2F`, so it is one readable file name. An id whose stem
 * would be longer than MAX_STEM_BYTES is cut there (at a character's edge) and ends with `~`
 * and a hash of the whole id: any id has a name that works, and no two share one.
 */
export function attemptStem(taskId: string): string {
  const stem = taskId.replaceAll('%', '%25').replaceAll('/', '%2F');
  if (Buffer.byteLength(stem) <= MAX_STEM_BYTES) return stem;
  const hash = createHash('sha256').update(taskId).digest('hex').slice(0, 16);
  let cut = '';
  let bytes = 0;
  for (const character of stem) {
    bytes += Buffer.byteLength(character);
    if (bytes > MAX_STEM_BYTES - hash.length - 1) break;
    cut += character;
  }
  return `${cut}~${hash}`;
}
