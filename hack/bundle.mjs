#!/usr/bin/env node
// `make build`'s second step: bundles tsc's output (dist/src) into dist/bundle, which
// is what bin/gocpu runs. Why (issue 8, "a cheap warm path", and the cold call): node 20
// loads an ES module graph file by file (resolve, stat, read, link), and gocpu's run is
// ~110 modules plus ssh2's ~40 CommonJS files. The agent took ~300 ms from its spawn to
// "ready", ~190 ms of it in node's module loaders; bundled it takes ~240 ms, and the
// warm wrapper's handful of modules become one file.
//
// Layout: dist/bundle/cli/entry.js and dist/bundle/agent/main.js, shared and lazily
// imported code in dist/bundle/chunks/. All three folders sit at the depth of dist/src's,
// so the paths our code computes from import.meta.url hold in both builds:
// ../../../package.json, ../agent/main.js, ../../../src/remote/*.sh.
// Code splitting keeps a dynamic import() lazy: the warm wrapper still loads no ssh2,
// and a run loads no tar-stream unless it copies (test/cli/startup-imports.test.ts).
import * as esbuild from 'esbuild';
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

fs.rmSync(outdir, { recursive: true, force: true });
const result = await esbuild.build({
  entryPoints: [path.join(src, 'cli/entry.js'), path.join(src, 'agent/main.js')],
  outbase: src,
  outdir,
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // An optional dependency of ssh2, required inside a try.
  external: ['cpu-features'],
  plugins: [nativeAddons],
  // ssh2 is CommonJS: its require() calls (the addon, cpu-features, node's modules) need
  // a require in an ES module, and lib/agent.js reads __dirname (for Windows' pageant).
  banner: {
    js: [
      "import { createRequire as __gocpuCreateRequire } from 'node:module';",
      'const require = __gocpuCreateRequire(import.meta.url);',
      "const __dirname = new URL('.', import.meta.url).pathname;",
    ].join(' '),
  },
  sourcemap: 'linked',
  metafile: true,
  logLevel: 'warning',
});
// The launcher's way to the agent's door without node (src/agent/door.ts): an id per build,
// so that a rebuild never sends calls to an agent that runs the old code.
fs.writeFileSync(path.join(outdir, 'build-id'), `${crypto.randomBytes(8).toString('hex')}\n`);
// What each output holds and imports: test/cli/startup-imports.test.ts reads it.
fs.writeFileSync(path.join(outdir, 'meta.json'), JSON.stringify(result.metafile, null, 1));
