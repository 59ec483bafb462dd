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
    if (existsSync(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`resource ${name} not found above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}
