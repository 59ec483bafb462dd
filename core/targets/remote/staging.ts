/**
 * File staging over the connection's one SFTP session: inputs up before an attempt is
 * submitted, outputs back after it succeeds. A file whose size and modification time already
 * match on the other side is skipped (or, when asked, whose SHA-256 matches); each file is
 * written under a temporary name, given the source's modification time, then renamed, so a
 * reader never sees half a file.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, globSync, mkdirSync, renameSync, statSync, utimesSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { SFTPWrapper, Stats } from 'ssh2';
import type { SshConnection } from '../../ssh/connection.ts';
import { shellQuote } from '../../util/shell.ts';

const posix = path.posix;

/** Progress of one staging step, for the CLI and the UI. */
export interface TransferProgress {
  direction: 'up' | 'down';
  files: number;
  totalFiles: number;
  bytes: number;
  totalBytes: number;
  /** Files left alone because they were already up to date. */
  skipped: number;
}

export interface TransferOptions {
  /** Compare contents by SHA-256 instead of size and modification time. */
  hash?: boolean;
  /** Files transferred at once. */
  parallel?: number;
  onProgress?: (progress: TransferProgress) => void;
}

/** A file to move: the local path, the remote path, and (for downloads) what the remote listed. */
export interface FilePair {
  local: string;
  remote: string;
  size?: number;
  mtime?: number;
}

/** Thrown for a staging problem: names the file and what went wrong. */
export class StagingError extends Error {
  readonly code = 'staging-failed';
}

/**
 * The local files of `patterns` (paths, folders or globs relative to `root`), each with the
 * path it gets below `remoteRoot`. A pattern that matches nothing is an error.
 */
export function inputFiles(root: string, patterns: string[], remoteRoot: string): FilePair[] {
  const files = new Map<string, FilePair>();
  for (const pattern of patterns) {
    const matches = /[*?[{]/.test(pattern) ? globSync(pattern, { cwd: root }) : [pattern];
    let found = 0;
    for (const match of matches) {
      const local = path.resolve(root, match);
      let stat;
      try {
        stat = statSync(local);
      } catch {
        continue;
      }
      const walk = stat.isDirectory() ? globSync('**/*', { cwd: local }).map((inner) => path.join(local, inner)) : [local];
      for (const file of walk) {
        if (!statSync(file).isFile()) continue;
        const relative = path.relative(root, file);
        if (relative.startsWith('..') || path.isAbsolute(relative)) throw new StagingError(`input '${pattern}' reaches outside the workflow folder (${file}); stage only files below ${root}`);
        files.set(file, { local: file, remote: posix.join(remoteRoot, relative.split(path.sep).join('/')) });
        found++;
      }
    }
    if (found === 0) throw new StagingError(`input '${pattern}' matches no file in ${root}`);
  }
  return [...files.values()];
}

/**
 * Uploads files whose remote copy differs. `known` remembers what this process already
 * uploaded or found (remote path → "size mtime"), so a sweep sharing inputs stats them once.
 */
export async function upload(connection: SshConnection, files: FilePair[], known: Map<string, string>, options: TransferOptions = {}): Promise<TransferProgress> {
  const sftp = await connection.sftp();
  const wanted = files.map((file) => {
    const stat = statSync(file.local);
    return { ...file, size: stat.size, mtime: Math.floor(stat.mtimeMs / 1000) };
  });
  const progress: TransferProgress = { direction: 'up', files: 0, totalFiles: wanted.length, bytes: 0, totalBytes: 0, skipped: 0 };
  const todo: typeof wanted = [];
  const folders = new Set<string>();
  await Promise.all(
    wanted.map(async (file) => {
      const mark = `${file.size} ${file.mtime}`;
      if (known.get(file.remote) === mark && !options.hash) return progress.skipped++;
      const remote = await stat(sftp, file.remote);
      let same = remote !== undefined && remote.size === file.size && remote.mtime === file.mtime;
      if (same && options.hash) same = (await remoteHash(connection, file.remote)) === (await localHash(file.local));
      if (same) {
        known.set(file.remote, mark);
        return progress.skipped++;
      }
      todo.push(file);
      folders.add(posix.dirname(file.remote));
    }),
  );
  progress.totalBytes = todo.reduce((sum, file) => sum + file.size, 0);
  progress.totalFiles = todo.length;
  options.onProgress?.({ ...progress });
  for (const folder of folders) await makeFolders(sftp, folder, known, connection.destination);
  await eachLimited(todo, options.parallel ?? 8, async (file) => {
    const temporary = `${file.remote}.flotilla-part-${randomBytes(4).toString('hex')}`;
    let sent = 0;
    try {
      await fastPut(sftp, file.local, temporary, (total) => {
        progress.bytes += total - sent;
        sent = total;
        options.onProgress?.({ ...progress });
      });
      await utimes(sftp, temporary, file.mtime);
      await rename(sftp, temporary, file.remote);
    } catch (error) {
      sftp.unlink(temporary, () => {});
      throw new StagingError(`cannot upload ${file.local} to ${connection.destination}:${file.remote}: ${(error as Error).message}`, { cause: error });
    }
    progress.bytes += file.size - sent;
    progress.files++;
    known.set(file.remote, `${file.size} ${file.mtime}`);
    options.onProgress?.({ ...progress });
  });
  return progress;
}

/** Downloads files (size and mtime as the remote listed them) whose local copy differs. */
export async function download(connection: SshConnection, files: FilePair[], options: TransferOptions = {}): Promise<TransferProgress> {
  const sftp = await connection.sftp();
  const todo: FilePair[] = [];
  const progress: TransferProgress = { direction: 'down', files: 0, totalFiles: 0, bytes: 0, totalBytes: 0, skipped: 0 };
  for (const file of files) {
    let local;
    try {
      local = statSync(file.local);
    } catch {
      local = undefined;
    }
    if (local && local.size === file.size && Math.floor(local.mtimeMs / 1000) === file.mtime && !options.hash) progress.skipped++;
    else todo.push(file);
  }
  progress.totalFiles = todo.length;
  progress.totalBytes = todo.reduce((sum, file) => sum + (file.size ?? 0), 0);
  options.onProgress?.({ ...progress });
  await eachLimited(todo, options.parallel ?? 8, async (file) => {
    mkdirSync(path.dirname(file.local), { recursive: true });
    const temporary = `${file.local}.flotilla-part-${randomBytes(4).toString('hex')}`;
    let got = 0;
    try {
      await fastGet(sftp, file.remote, temporary, (total) => {
        progress.bytes += total - got;
        got = total;
        options.onProgress?.({ ...progress });
      });
      if (file.mtime !== undefined) utimesSync(temporary, file.mtime, file.mtime);
      renameSync(temporary, file.local);
    } catch (error) {
      rmSync(temporary, { force: true });
      throw new StagingError(`cannot download ${connection.destination}:${file.remote} to ${file.local}: ${(error as Error).message}`, { cause: error });
    }
    progress.bytes += (file.size ?? got) - got;
    progress.files++;
    options.onProgress?.({ ...progress });
  });
  return progress;
}

/** `mkdir -p` over SFTP (folders made or found are remembered in `known`). */
async function makeFolders(sftp: SFTPWrapper, folder: string, known: Map<string, string>, host: string): Promise<void> {
  if (known.get(folder) === 'dir' || folder === '/' || folder === '.' || folder === '') return;
  const existing = await stat(sftp, folder);
  if (!existing) {
    await makeFolders(sftp, posix.dirname(folder), known, host);
    const error = await new Promise<Error | undefined>((resolve) => sftp.mkdir(folder, (failure) => resolve(failure ?? undefined)));
    // Made meanwhile by another transfer: fine.
    if (error && !(await stat(sftp, folder))) throw new StagingError(`cannot create ${host}:${folder}: ${error.message}`);
  }
  known.set(folder, 'dir');
}

async function eachLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: unknown;
  const worker = async (): Promise<void> => {
    while (next < items.length && failure === undefined) {
      const item = items[next++]!;
      try {
        await fn(item);
      } catch (error) {
        failure ??= error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure !== undefined) throw failure;
}

function stat(sftp: SFTPWrapper, file: string): Promise<{ size: number; mtime: number } | undefined> {
  return new Promise((resolve) => sftp.stat(file, (error: Error | undefined, stats: Stats) => resolve(error ? undefined : { size: stats.size, mtime: stats.mtime })));
}

function utimes(sftp: SFTPWrapper, file: string, mtime: number): Promise<void> {
  return new Promise((resolve, reject) => sftp.utimes(file, mtime, mtime, (error) => (error ? reject(error) : resolve())));
}

/** Replaces the target atomically (OpenSSH's posix-rename; plain rename elsewhere). */
function rename(sftp: SFTPWrapper, from: string, to: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (error: Error | undefined | null) => (error ? reject(error) : resolve());
    try {
      sftp.ext_openssh_rename(from, to, done);
    } catch {
      sftp.rename(from, to, done);
    }
  });
}

const CHUNK = 255 * 1024;

function fastPut(sftp: SFTPWrapper, local: string, remote: string, step: (total: number) => void): Promise<void> {
  return new Promise((resolve, reject) => sftp.fastPut(local, remote, { concurrency: 32, chunkSize: CHUNK, step: (total) => step(total) }, (error) => (error ? reject(error) : resolve())));
}

function fastGet(sftp: SFTPWrapper, remote: string, local: string, step: (total: number) => void): Promise<void> {
  return new Promise((resolve, reject) => sftp.fastGet(remote, local, { concurrency: 32, chunkSize: CHUNK, step: (total) => step(total) }, (error) => (error ? reject(error) : resolve())));
}

async function localHash(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function remoteHash(connection: SshConnection, file: string): Promise<string | undefined> {
  const result = await connection.exec(`sha256sum -- ${shellQuote(file)}`);
  return result.code === 0 ? result.stdout.split(' ')[0] : undefined;
}
