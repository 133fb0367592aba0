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

// The same for what bin/gocpu runs: tsc's output bundled (hack/bundle.mjs), from the
// metafile esbuild wrote beside it: which sources each output holds and how outputs import
// each other (a static import loads at once, an import() when the code gets there).
interface Meta {
  inputs: Record<string, unknown>;
  outputs: Record<string, { entryPoint?: string; inputs: Record<string, unknown>; imports: { path: string; kind: string; external?: boolean }[] }>;
}
const repo = path.resolve(dist, '..', '..');
const meta = JSON.parse(fs.readFileSync(path.join(repo, 'dist/bundle/meta.json'), 'utf8')) as Meta;

/** The output of an entry point (a file's own, or one an import() made), by its tsc source. */
function outputOf(source: string): string {
  const hits = Object.entries(meta.outputs).filter(([, o]) => o.entryPoint === `dist/src/${source}`);
  assert.equal(hits.length, 1, `one output is ${source}'s`);
  return hits[0][0];
}

/** The sources an output loads at once (itself and its static imports, transitively). */
function loadedAtOnce(output: string): Set<string> {
  const sources = new Set<string>();
  const seen = new Set<string>();
  const queue = [output];
  while (queue.length > 0) {
    const o = queue.pop()!;
    if (seen.has(o)) continue;
    seen.add(o);
    for (const s of Object.keys(meta.outputs[o].inputs)) sources.add(s);
    for (const i of meta.outputs[o].imports) if (i.kind === 'import-statement' && !i.external && i.path in meta.outputs) queue.push(i.path);
  }
  return sources;
}

const packagesIn = (sources: Set<string>) => new Set([...sources].filter((s) => s.includes('node_modules/')).map((s) => s.replace(/.*node_modules\/((?:@[^/]+\/)?[^/]+).*/, '$1')));

test('bundled, the warm wrapper loads no package, and the agent no tar-stream until a run copies', () => {
  const warm = new Set([...loadedAtOnce(outputOf('cli/entry.js')), ...loadedAtOnce(outputOf('agent/client.js'))]);
  assert.ok(warm.has('dist/src/agent/client.js'), 'the graph was followed');
  assert.deepEqual([...packagesIn(warm)], []);

  assert.deepEqual([...packagesIn(loadedAtOnce(outputOf('agent/main.js')))], [], 'the agent loads its serving code once it holds the lock');
  for (const source of ['agent/socket-caller.js', 'cli/main.js']) {
    const p = packagesIn(loadedAtOnce(outputOf(source)));
    assert.ok(p.has('ssh2'), `${source}: the graph was followed (ssh2 is in it)`);
    assert.ok(!p.has('tar-stream'), `${source} loads tar-stream at startup`);
  }
  assert.ok(packagesIn(loadedAtOnce(outputOf('copy/copy-half.js'))).has('tar-stream'), 'the copy half itself does');
});

test('bundled, ssh2 is one copy, and its native crypto still loads where ssh2 built it', async () => {
  const sftp = Object.entries(meta.outputs).filter(([, o]) => 'node_modules/ssh2/lib/protocol/SFTP.js' in o.inputs);
  assert.equal(sftp.length, 1, 'one output holds ssh2\'s SFTP module');
  const [holder] = Object.entries(meta.outputs).find(([, o]) => o.imports.some((i) => i.path.endsWith('sshcrypto.node')))!;
  const spec = meta.outputs[holder].imports.find((i) => i.path.endsWith('sshcrypto.node'))!.path;
  assert.equal(spec, 'ssh2/lib/protocol/crypto/build/Release/sshcrypto.node', 'a package path, resolved as a dependency is');
  const { createRequire } = await import('node:module');
  const fromBundle = createRequire(path.join(repo, holder));
  const built = path.join(repo, 'node_modules', spec);
  if (fs.existsSync(built)) assert.equal(fromBundle.resolve(spec), built);
  else assert.throws(() => fromBundle.resolve(spec), 'without the addon ssh2 uses node\'s crypto, bundled or not');
});
