import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The path of a file in the repository's resources/ folder, found by walking up from this
 * module: the same from the TypeScript sources (core/util/) and from the bundled CLI (out/cli/).
 */
export function resourceFile(name: string): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(dir, 'resources', name);
    if (existsSync(candidate)) return unpacked(candidate);
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`resource ${name} not found above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
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
