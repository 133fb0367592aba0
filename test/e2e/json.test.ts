/**
 * Done means: `go test -json` gives the same event stream remotely as locally. go pipes
 * the wrapper's output through test2json, so any byte the wrapper adds (a banner, a
 * warning, a stray newline) shows up here as an extra output event.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeRun, fixtureDir, goTest, normalize } from './harness.js';

interface Event {
  Action: string;
  Package?: string;
  Test?: string;
  Output?: string;
}

/** The events in order, with Time and Elapsed dropped and Output normalized. */
function events(stdout: string): Event[] {
  return stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      let e: Event & Record<string, unknown>;
      try {
        e = JSON.parse(l);
      } catch {
        throw new Error(`not a JSON line in go test -json output: ${JSON.stringify(l)}`);
      }
      const out: Event = { Action: e.Action };
      if (e.Package !== undefined) out.Package = e.Package;
      if (e.Test !== undefined) out.Test = e.Test;
      if (e.Output !== undefined) out.Output = normalize(e.Output);
      return out;
    });
}

/**
 * With -json, go streams every package's events as they come, so with -p 2 packages
 * interleave differently from run to run: compare the stream of each package.
 */
function byPackage(evs: Event[]): Map<string, Event[]> {
  const m = new Map<string, Event[]>();
  for (const e of evs) {
    const k = e.Package ?? '';
    if (!m.has(k)) m.set(k, []);
    m.get(k)!.push(e);
  }
  return new Map([...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

const CASES = [
  { name: 'passing packages', fixture: 'multi', args: ['./...'], env: {} as Record<string, string>, code: 0 },
  {
    name: 'a failing test, subtests and a pass',
    fixture: 'status',
    args: ['-run', '^(TestPass|TestFail|TestSub)$', '.'],
    env: {},
    code: 1,
  },
  { name: 'os.Exit(3) in TestMain', fixture: 'status', args: ['-run', '^TestPass$', '.'], env: { FX_MAIN_EXIT: '3' }, code: 1 },
];

for (const c of CASES) {
  test(`go test -json: ${c.name}: same events as locally`, async () => {
    const cwd = fixtureDir(c.fixture);
    const args = ['-json', '-count=1', '-p', '2', ...c.args];
    const local = await goTest({ args, cwd, env: c.env });
    assert.equal(local.code, c.code, describeRun(local));
    const want = byPackage(events(local.stdout));
    const all = [...want.values()].flat();
    assert.ok(all.some((e) => e.Action === 'pass' || e.Action === 'fail'), 'local run: no pass/fail events');

    const remote = await goTest({ args, cwd, goarch: 'arm64', env: c.env });
    assert.equal(remote.code, local.code, `exit status differs: ${describeRun(remote)}`);
    assert.equal(remote.stderr, local.stderr, 'stderr differs');
    assert.deepEqual(byPackage(events(remote.stdout)), want, 'the -json event streams differ');
  });
}
