import { createHash, hash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';

/** The SHA-256 of a file's contents, hex, read in 1 MiB blocks. */
export function sha256File(file: string): string {
  const digest = createHash('sha256');
  const buffer = Buffer.allocUnsafe(1 << 20);
  const fd = openSync(file, 'r');
  try {
    for (let read = readSync(fd, buffer); read > 0; read = readSync(fd, buffer)) digest.update(buffer.subarray(0, read));
  } finally {
    closeSync(fd);
  }
  return digest.digest('hex');
}

/** The SHA-256 of a text (its UTF-8 bytes), hex, in one call. */
export function sha256Text(text: string): string {
  return hash('sha256', text, 'hex');
}
