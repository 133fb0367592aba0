// What a process go starts loads before it does anything (issue 8: "import only what
// that needs"): the warm wrapper (src/agent/client.ts) nothing but node's own modules;
// the direct-mode run and the agent not tar-stream, which only copy mode needs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'src');

/** The packages a compiled module loads through static imports, transitively (dynamic import() not followed). */
function staticPackages(entry: string): Set<string> {
  const seen = new Set<string>();
  const packages = new Set<string>();
  const queue = [path.join(dist, entry)];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const src = fs.readFileSync(file, 'utf8');
    for (const m of src.matchAll(/^(?:import|export)\s+(?:[^'";]*?\s+from\s+)?'([^']+)';/gm)) {
      const spec = m[1];
      if (spec.startsWith('.')) queue.push(path.resolve(path.dirname(file), spec));
      else packages.add(spec.startsWith('node:') ? 'node:' : spec);
    }
  }
  return packages;
}

test('the warm wrapper loads only node\'s own modules', () => {
  assert.deepEqual([...staticPackages('agent/client.js')], ['node:']);
  assert.deepEqual([...staticPackages('cli/entry.js')], ['node:']);
});

test('the direct-mode run and the agent do not load tar-stream (copy mode imports it when it runs)', () => {
  // The agent's main imports its serving code once it holds its socket's lock (claim.ts).
  for (const entry of ['cli/main.js', 'agent/socket-caller.js', 'run/run.js']) {
    const p = staticPackages(entry);
    assert.ok(p.has('ssh2'), `${entry}: the graph was followed (ssh2 is in it)`);
    assert.ok(!p.has('tar-stream'), `${entry} loads tar-stream at startup`);
  }
  assert.ok(!staticPackages('agent/main.js').has('tar-stream'));
  assert.ok(staticPackages('copy/copy-half.js').has('tar-stream'), 'the copy half itself does');
});

// The same for what bin/gocpu runs: tsc's output bundled (hack/bundle.mjs), each program one
// CommonJS file. esbuild writes each module under a "// path" line; a module that some
// import() reaches is wrapped, `var init_X = __esm({ "path"() { BODY } })` (a package's
// CommonJS file: `var require_X = __commonJS(...)`), and runs when init_X() (require_X())
// is called: in another module's BODY (a static import), or in an import() turned into
// `Promise.resolve().then(() => (init_X(), ...))` (when the code gets there). A module
// that is not wrapped runs when the file loads.
const repo = path.resolve(dist, '..', '..');

interface Program {
  /** Module path -> the modules (paths) its running runs at once; packages by their node_modules path. */
  edges: Map<string, Set<string>>;
  /** Modules that run when the file loads. */
  atLoad: Set<string>;
  text: string;
}

const LAZY = /Promise\.resolve\(\)\.then\(\(\) => (?:\(init_(\w+)\(\)|__toESM\(require_(\w+)\(\)\))/g;

function readProgram(file: string): Program {
  const text = fs.readFileSync(path.join(repo, 'dist/bundle', file), 'latin1');
  const sections = new Map<string, string>();
  let current = '';
  for (const line of text.split('\n')) {
    const m = /^\/\/ ((?:dist\/src|node_modules)\/\S+)$/.exec(line);
    if (m) current = m[1];
    sections.set(current, `${sections.get(current) ?? ''}${line}\n`);
  }
  const byFn = new Map<string, string>();
  for (const [mod, body] of sections) for (const m of body.matchAll(/^var ((?:init|require)_\w+) = __(?:esm|commonJS)\(/gm)) byFn.set(m[1], mod);
  const edges = new Map<string, Set<string>>();
  const atLoad = new Set<string>();
  for (const [mod, body] of sections) {
    if (mod === '') continue; // esbuild's own helpers
    const wrapped = /^var (?:init|require)_\w+ = __(?:esm|commonJS)\(/m.test(body);
    if (!wrapped) atLoad.add(mod);
    // Every call outside an import() counts as run with the module: more than runs, never less.
    const direct = body.replace(LAZY, '');
    const to = new Set<string>();
    for (const m of direct.matchAll(/\b((?:init|require)_\w+)\(\)/g)) {
      const target = byFn.get(m[1]);
      if (target && target !== mod) to.add(target);
    }
    edges.set(mod, to);
  }
  return { edges, atLoad, text };
}

/** What runs once `starts` have run: the modules, transitively through their static imports. */
function runs(p: Program, starts: Iterable<string>): Set<string> {
  const seen = new Set<string>();
  const queue = [...starts];
  while (queue.length > 0) {
    const m = queue.pop()!;
    if (seen.has(m)) continue;
    assert.ok(p.edges.has(m), `${m} is in the program`);
    seen.add(m);
    queue.push(...p.edges.get(m)!);
  }
  return seen;
}

const packagesIn = (mods: Set<string>) => new Set([...mods].filter((s) => s.startsWith('node_modules/')).map((s) => s.replace(/^node_modules\/((?:@[^/]+\/)?[^/]+).*/, '$1')));
const src = (...m: string[]) => m.map((x) => `dist/src/${x}`);

const cli = readProgram('cli/cli.cjs');
const agent = readProgram('agent/agent.cjs');

test('bundled, no package runs as either program loads, and the warm wrapper runs none at all', () => {
  for (const p of [cli, agent]) assert.deepEqual([...packagesIn(runs(p, p.atLoad))], []);
  const warm = runs(cli, [...cli.atLoad, ...src('cli/exit.js', 'agent/client.js')]);
  assert.ok(warm.has('dist/src/agent/client.js') && warm.has('dist/src/agent/frames.js'), 'the graph was followed');
  assert.deepEqual([...packagesIn(warm)], []);
});

test('bundled, direct mode and the agent run ssh2, and tar-stream only once a run copies', () => {
  const direct = packagesIn(runs(cli, [...cli.atLoad, ...src('cli/main.js')]));
  assert.ok(direct.has('ssh2') && !direct.has('tar-stream'), [...direct].join(' '));
  // The agent's serving code, which main.ts imports once the lock is ours.
  const serving = src('agent/connections.js', 'agent/pool.js', 'agent/socket-caller.js', 'agent/door.js', 'agent/door-caller.js');
  assert.ok(!runs(agent, agent.atLoad).has(serving[0]), 'not before the lock');
  const served = packagesIn(runs(agent, [...agent.atLoad, ...serving]));
  assert.ok(served.has('ssh2') && !served.has('tar-stream'), [...served].join(' '));
  for (const p of [cli, agent]) assert.ok(packagesIn(runs(p, src('copy/copy-half.js'))).has('tar-stream'), 'the copy half itself does');
});

test('bundled, each program holds one ssh2, and its native crypto still loads where ssh2 built it', async () => {
  const spec = 'ssh2/lib/protocol/crypto/build/Release/sshcrypto.node';
  const { createRequire } = await import('node:module');
  for (const [file, p] of [['cli/cli.cjs', cli], ['agent/agent.cjs', agent]] as const) {
    assert.equal([...p.edges.keys()].filter((m) => m === 'node_modules/ssh2/lib/protocol/SFTP.js').length, 1);
    assert.equal(p.text.match(/^\/\/ node_modules\/ssh2\/lib\/protocol\/SFTP\.js$/gm)?.length, 1, `${file}: one copy of ssh2's SFTP module`);
    assert.ok(p.text.includes(`require("${spec}")`), `${file}: a package path, resolved as a dependency is`);
    const fromBundle = createRequire(path.join(repo, 'dist/bundle', file));
    const built = path.join(repo, 'node_modules', spec);
    if (fs.existsSync(built)) assert.equal(fromBundle.resolve(spec), built);
    else assert.throws(() => fromBundle.resolve(spec), 'without the addon ssh2 uses node\'s crypto, bundled or not');
  }
});

test('bundled, neither program holds ssh2\'s HTTP agents, nor anything that loads http, https or tls', () => {
  for (const [file, p] of [['cli/cli.cjs', cli], ['agent/agent.cjs', agent]] as const) {
    assert.ok(!p.edges.has('node_modules/ssh2/lib/http-agents.js'), `${file}: ssh2's http-agents.js is in it`);
    assert.ok(p.text.includes('"gocpu-stub:ssh2-http-agents"'), `${file}: the stand-in (hack/bundle.mjs) is in its place`);
    for (const m of ['http', 'https', 'tls']) assert.ok(!new RegExp(`require\\("(node:)?${m}"\\)`).test(p.text), `${file}: it requires ${m}`);
  }
});
