// Compiles a fixture's test binary once per test file, native and arm64, for tests
// that run the wrapper (or the binary) directly instead of through go test.
import { after, before } from 'node:test';
import * as path from 'node:path';
import { fixtureDir, goTestBinary, tempDir } from './harness.js';

export interface FixtureBinaries {
  cwd: string;
  /** The native build, for the local reference run (valid once `before` ran). */
  local(): string;
  /** The arm64 build, for the wrapper. */
  remote(): string;
}

export function fixtureBinaries(name: string): FixtureBinaries {
  const cwd = fixtureDir(name);
  const bins = tempDir();
  let local = '';
  let remote = '';
  before(async () => {
    local = await goTestBinary(cwd, path.join(bins.dir, `${name}.native.test`));
    remote = await goTestBinary(cwd, path.join(bins.dir, `${name}.arm64.test`), 'arm64');
  });
  after(bins.cleanup);
  return { cwd, local: () => local, remote: () => remote };
}
