/** Cleanup steps whose failure means there is nothing left to clean: the file is gone, the descriptor closed. */
import { closeSync, unlinkSync } from 'node:fs';

export function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Gone already (or the directory was removed under us).
  }
}

export function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // Closed already.
  }
}
