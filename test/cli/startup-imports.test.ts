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
  for (const entry of ['cli/main.js', 'agent/serve-run.js', 'run/run.js']) {
    const p = staticPackages(entry);
    assert.ok(p.has('ssh2'), `${entry}: the graph was followed (ssh2 is in it)`);
    assert.ok(!p.has('tar-stream'), `${entry} loads tar-stream at startup`);
  }
  assert.ok(!staticPackages('agent/main.js').has('tar-stream'));
  assert.ok(staticPackages('copy/copy-half.js').has('tar-stream'), 'the copy half itself does');
});
