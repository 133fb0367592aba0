/**
 * Runs one of the bundle's CommonJS files (hack/bundle.mjs: dist/bundle/cli/cli.cjs,
 * dist/bundle/agent/agent.cjs) from the V8 code cache the build made beside it
 * (FILE.cache), and returns its exports. Why: node 20 compiles every function of gocpu
 * and ssh2 anew in each process, and has no code cache for ES modules (node 22's
 * module.enableCompileCache came later); a cache made after the agent's serving code had
 * loaded holds those functions compiled too. The agent took 218 ms from spawn to "ready"
 * without it, 164 ms with it, and `gocpu --help` 150 against 110 ms (medians, node -e 0
 * at 87 ms, on a machine busy with a CI run; README, Dependencies).
 *
 * The file is read as latin1 (the build checks it is ASCII): no UTF-8 decoding of a
 * megabyte on every start. A cache V8 refuses (another node, other flags, a stale
 * file) costs only the compile it would have saved.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { Script } from 'node:vm';

/** Node's own CommonJS wrapper, so that the file runs exactly as require() would run it. */
const HEAD = '(function (exports, require, module, __filename, __dirname) { ';
const TAIL = '\n});';

export interface Loaded {
  exports: Record<string, unknown>;
  /** What the cache can be made from, once the caller has run what it should hold (hack/code-cache.mjs). */
  script: Script;
  /** A cache was there and V8 refused it. */
  refused: boolean;
}

export function loadCommonJs(file: string, cache = `${file}.cache`): Loaded {
  const source = HEAD + readFileSync(file, 'latin1') + TAIL;
  let cachedData: Buffer | undefined;
  try {
    cachedData = readFileSync(cache);
  } catch {
    // None made (a build without it): compiled as usual.
  }
  const script = new Script(source, { filename: file, cachedData });
  const wrapper = script.runInThisContext() as (...args: unknown[]) => void;
  const module = { exports: {} as Record<string, unknown> };
  wrapper.call(module.exports, module.exports, createRequire(file), module, file, dirname(file));
  return { exports: module.exports, script, refused: cachedData !== undefined && script.cachedDataRejected === true };
}
