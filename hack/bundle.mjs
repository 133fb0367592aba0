#!/usr/bin/env node
// `make build`'s second step: bundles tsc's output (dist/src) into dist/bundle, which
// is what bin/gocpu runs. Why (issue 8, "a cheap warm path", and the cold call): node 20
// loads an ES module graph file by file (resolve, stat, read, link), and gocpu's run is
// ~110 modules plus ssh2's ~40 CommonJS files; and it compiles all of it anew in every
// process, with no code cache for ES modules. So each of the two programs is one
// CommonJS file with a V8 code cache beside it (src/util/code-cache.ts runs it):
//   dist/bundle/cli/cli.cjs      entry.ts's graph: the wrapper node's way, direct mode
//   dist/bundle/agent/agent.cjs  main.ts's graph: the agent
// and a small ES module runs each: dist/bundle/cli/entry.js (what bin/gocpu starts) and
// dist/bundle/agent/main.js (what the launcher and start.ts start; the agent is known by
// that name in /proc). The folders sit at the depth of dist/src's, so the paths our code
// computes from import.meta.url hold in both builds: ../../../package.json,
// ../agent/main.js, ../../../src/remote/*.sh.
// An import() stays lazy in one file: esbuild wraps what it loads in a function run at
// the import (the warm wrapper still runs no ssh2, a run no tar-stream unless it copies:
// test/cli/startup-imports.test.ts reads the files for it).
import * as esbuild from 'esbuild';
import { execFileSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const src = path.join(repo, 'dist/src');
const outdir = path.join(repo, 'dist/bundle');

// ssh2's optional native crypto (lib/protocol/crypto/build/Release/sshcrypto.node, built
// by its install script) is loaded by require() and cannot be bundled. It stays a
// package path, resolved from the bundle at run time like any dependency (a nested or a
// hoisted node_modules alike); where it is missing ssh2 falls back to node's crypto, as
// it does unbundled.
const nativeAddons = {
  name: 'native-addons',
  setup(build) {
    build.onResolve({ filter: /\.node$/ }, (args) => {
      const file = path.resolve(args.resolveDir, args.path);
      const modules = `${path.sep}node_modules${path.sep}`;
      const i = file.lastIndexOf(modules);
      if (i < 0) return { errors: [{ text: `${file}: a native addon outside node_modules` }] };
      return { path: file.slice(i + modules.length).split(path.sep).join('/'), external: true };
    });
  },
};

// ssh2's HTTP(S) agents (lib/http-agents.js, ssh2 1.17), which tunnel HTTP through ssh:
// gocpu never uses them, and their require of http, https and tls cost every node start
// ~5 ms (the agent's, and a wrapper's that goes node's way). ssh2's index.js takes the
// two names from it and exports them; here they are classes that cannot be made.
const noHttpAgents = {
  name: 'no-http-agents',
  setup(build) {
    build.onResolve({ filter: /^\.\/http-agents\.js$/ }, (args) =>
      /[\\/]ssh2[\\/]lib$/.test(args.resolveDir) ? { path: 'ssh2-http-agents', namespace: 'gocpu-stub' } : undefined);
    build.onLoad({ filter: /.*/, namespace: 'gocpu-stub' }, () => ({
      contents: `class Unused { constructor() { throw new Error('ssh2 HTTP agents are not in gocpu\\'s bundle (hack/bundle.mjs)'); } }
module.exports = { SSHTTPAgent: Unused, SSHTTPSAgent: Unused };`,
      loader: 'js',
    }));
  },
};

fs.rmSync(outdir, { recursive: true, force: true });
const shared = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  // An optional dependency of ssh2, required inside a try.
  external: ['cpu-features'],
  plugins: [nativeAddons, noHttpAgents],
  sourcemap: 'linked',
  logLevel: 'warning',
  // code-cache.ts reads the files as latin1: non-ASCII must be escaped (esbuild's default; checked below).
  charset: 'ascii',
};
// Each program: its output (beside the file that runs it), tsc's entry, and what loads
// everything it may load for its code cache.
const PROGRAMS = [
  { out: 'cli/cli', entry: 'cli/entry.js', loader: 'loadAll' },
  { out: 'agent/agent', entry: 'agent/main.js', loader: 'loadServing' },
];
await esbuild.build({
  ...shared,
  entryPoints: Object.fromEntries(PROGRAMS.map((p) => [p.out, path.join(src, p.entry)])),
  outdir,
  outExtension: { '.js': '.cjs' },
  format: 'cjs',
  // Our modules ask import.meta.url where they are: the .cjs file's own URL, as in dist/src.
  define: { 'import.meta.url': '__gocpuImportMetaUrl' },
  banner: { js: 'var __gocpuImportMetaUrl = require("node:url").pathToFileURL(__filename).href;' },
});
await esbuild.build({
  ...shared,
  entryPoints: { 'cli/entry': path.join(src, 'cli/bundle-entry.js'), 'agent/main': path.join(src, 'agent/bundle-main.js') },
  outdir,
  format: 'esm',
});
// The launcher's way to the agent's door without node (src/agent/door.ts): an id per build,
// so that a rebuild never sends calls to an agent that runs the old code.
fs.writeFileSync(path.join(outdir, 'build-id'), `${crypto.randomBytes(8).toString('hex')}\n`);
for (const p of PROGRAMS) {
  const file = path.join(outdir, `${p.out}.cjs`);
  const text = fs.readFileSync(file);
  if (text.some((b) => b > 0x7f)) throw new Error(`${file}: not ASCII (src/util/code-cache.ts reads it as latin1)`);
  // vm.Script (code-cache.ts) runs no import() of its own: esbuild must have turned every one into a require or a lazy init.
  if (/\bimport\(/.test(text.toString('latin1').replace(/\/\/.*$|\/\*[\s\S]*?\*\//gm, ''))) throw new Error(`${file}: an import() is left`);
  // Its code cache, made after the program loaded everything it may load (running nothing).
  execFileSync(process.execPath, [path.join(repo, 'hack/code-cache.mjs'), file, p.loader], { stdio: 'inherit' });
}
