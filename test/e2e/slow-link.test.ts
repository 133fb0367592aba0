/**
 * A far remote (40 ms added per round trip, test/e2e/slow-link.ts): through the agent
 * (its shared mount, the view's lookups all at once, the run channel opened early) and
 * in direct mode, a package with testdata, a failing test and -coverprofile end exactly
 * as they do locally. Correctness only: `make bench` measures the times.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { assertSameRun, describeRun, fixtureDir, goTest, tempDir } from './harness.js';
import { agentScratch } from './agent-scratch.js';
import { FAR_ALIAS, farHost } from './slow-link.js';

const { dirs, pidsIn } = agentScratch();
const far = await farHost(40);

function farEnv(how: 'agent' | 'direct'): Record<string, string> {
  const t = tempDir(undefined, 'gocpu-e2e-far-');
  dirs.push(t.cleanup);
  const mode: Record<string, string> = how === 'agent' ? { GOCPU_AGENT_DIR: path.join(t.dir, 'agent') } : { GOCPU_AGENT: '0' };
  return { ...far, ...mode, GOCPU_TRACE_FILE: path.join(t.dir, 'trace') };
}

function agentPids(env: Record<string, string>): number[] {
  return pidsIn(env.GOCPU_AGENT_DIR);
}

for (const how of ['agent', 'direct'] as const) {
  test(`far host (${how}): testdata, a failing test and -coverprofile end as locally`, async (t) => {
    const env = farEnv(how);
    const tmp = tempDir();
    t.after(tmp.cleanup);

    // testdata read through the mount, cwd as locally.
    const cache = fixtureDir('cache');
    const args = ['-count=1', '-v', '.'];
    const nonce = { FX_CACHE_NONCE: String(Date.now()) };
    const localData = await goTest({ args, cwd: cache, env: nonce });
    const remoteData = await goTest({ args, cwd: cache, goarch: 'arm64', env: { ...env, ...nonce }, timeoutMs: 180_000 });
    assertSameRun(localData, remoteData, `go test -v on ${FAR_ALIAS} (${how})`);
    assert.match(remoteData.stdout, /data: /);

    // A failing test: go's FAIL lines and status 1.
    const status = fixtureDir('status');
    const failArgs = ['-count=1', '-run=^TestFail$', '.'];
    const localFail = await goTest({ args: failArgs, cwd: status });
    assert.equal(localFail.code, 1, describeRun(localFail));
    const remoteFail = await goTest({ args: failArgs, cwd: status, goarch: 'arm64', env, timeoutMs: 180_000 });
    assertSameRun(localFail, remoteFail, `a failing test on ${FAR_ALIAS} (${how})`);

    // The profile is written through the mount (a writable export) and moved into place.
    const cover = fixtureDir('cover');
    const prof = (n: string) => path.join(tmp.dir, n);
    const coverArgs = (out: string) => ['-count=1', '-covermode=set', `-coverprofile=${out}`, '.'];
    const localCover = await goTest({ args: coverArgs(prof('local.out')), cwd: cover });
    const remoteCover = await goTest({ args: coverArgs(prof('remote.out')), cwd: cover, goarch: 'arm64', env, timeoutMs: 180_000 });
    assertSameRun(localCover, remoteCover, `-coverprofile on ${FAR_ALIAS} (${how})`);
    assert.equal(fs.readFileSync(prof('remote.out'), 'utf8'), fs.readFileSync(prof('local.out'), 'utf8'));

    // Every call went through gocpu to the far host (a wrapper missing from PATH would
    // make these local runs that conform trivially).
    const trace = fs.readFileSync(env.GOCPU_TRACE_FILE, 'utf8');
    assert.equal((trace.match(new RegExp(`^\\d+ [\\d.]+ ms run [0-9a-f]+ on ${FAR_ALIAS}$`, 'gm')) ?? []).length, 3, `three calls to the far host:\n${trace}`);
    if (how === 'agent') {
      assert.equal(agentPids(env).length, 1, 'an agent served the calls');
      assert.match(trace, / ms connection reused$/m, 'the later calls reused the agent\'s connection');
    } else {
      // Each call opens its three channels: the trace says when each was open.
      for (const step of ['mount half up', 'watch half: channel open', 'run half: channel open', 'all halves up']) {
        assert.equal((trace.match(new RegExp(` ms ${step}$`, 'gm')) ?? []).length, 3, `${step}, once a call:\n${trace}`);
      }
    }
  });
}
