import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The path of a file in the repository's resources/ folder, found by walking up from this
 * module: the same from the TypeScript sources (core/util/) and from the bundled CLI (out/cli/).
 */
export function resourceFile(name: string): string {
  const found = findAbove(path.join('resources', name));
  if (found === undefined) throw new Error(`resource ${name} not found above ${fileURLToPath(import.meta.url)}`);
  return unpacked(found);
}

/**
 * A path of the checkout (or the packaged app), such as `out/renderer`, found by walking up
 * from this module, wherever the bundler put it (core/util/, out/cli/, out/electron/).
 */
export function findAbove(relative: string): string | undefined {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(dir, relative);
    if (existsSync(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** Flotilla's version: the one in the package.json of the checkout or the packaged app. */
export function flotillaVersion(): string {
  const file = findAbove('package.json');
  const version = file === undefined ? undefined : (JSON.parse(readFileSync(file, 'utf8')) as { version?: unknown }).version;
  return typeof version === 'string' ? version : 'unknown';
}

const ASAR = `${path.sep}app.asar${path.sep}`;

/**
 * In the packaged desktop app, files that are executed or handed to other programs live
 * beside the archive (electron-builder's asarUnpack): their app.asar.unpacked path.
 * Elsewhere, the path itself.
 */
export function unpacked(file: string): string {
  if (!file.includes(ASAR)) return file;
  const outside = file.replace(ASAR, `${path.sep}app.asar.unpacked${path.sep}`);
  return existsSync(outside) ? outside : file;
}

/** Whether this runs from the packaged desktop app's archive (where file times mean nothing). */
export function isPackaged(file: string): boolean {
  return file.includes(ASAR) || file.includes(`${path.sep}app.asar.unpacked${path.sep}`);
}
