import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh directory under `parent`, removed by the returned cleanup (in `after`, `finally`). */
export function tempDir(parent = tmpdir(), prefix = 'gocpu-e2e-'): { dir: string; cleanup: () => void } {
  mkdirSync(parent, { recursive: true });
  const dir = mkdtempSync(join(parent, prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

const made: string[] = [];

/**
 * A fresh directory under the system temp dir, removed when the test process exits, for
 * helpers that hand out trees to many tests (a per-test t.after would be one more line in
 * each). Synchronous on purpose: 'exit' handlers cannot await.
 */
export function tempDirUntilExit(prefix: string): string {
  if (made.length === 0) {
    process.on('exit', () => {
      for (const d of made) rmSync(d, { recursive: true, force: true });
    });
  }
  const { dir } = tempDir(tmpdir(), prefix);
  made.push(dir);
  return dir;
}
