/**
 * Done means: whatever bytes a test binary's arguments and environment values hold
 * (every byte but NUL: invalid UTF-8, quotes, $(...), backticks, newlines, globs,
 * backslashes), they reach the remote test byte for byte when the wrapper is exec'd
 * with them, and no injection attempt among them runs, here or on the remote.
 *
 * Seeded property test: the seed is printed as a diagnostic (`# seed N`);
 * GOCPU_E2E_SEED=N replays a run. node's spawn passes only UTF-8, so each case goes
 * through rawexec (test/fixtures/probe/cmd/rawexec), which execs with raw bytes.
 */
import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describeRun, goEnv, goTestBinary, randomToken, requireWrapper, run, tempDir, type RunResult } from './harness.js';
import { bytes, hex, rng, seedFrom } from './byte-gen.js';
import { buildProbe, buildRawexec, parseEcho, probeModule, rawexecSpec } from './probe.js';
import { remoteShOk, sq } from './remote-sh.js';

const seed = seedFrom(process.env.GOCPU_E2E_SEED);
const RUNS = 5;
const ARGS_PER_RUN = 40;
const ENVS_PER_RUN = 20;
const ENV_PREFIX = 'E2E_PROP_';

const tok = randomToken();
const bins = tempDir();
// Where an injection would leave its file: the remote's /tmp (run.sh runs there), and
// the binary's directory, the one place a command inside the namespace can write.
const pwnTmp = `/tmp/gocpu-e2e-pwned-${tok}`;
const pwnBin = () => path.join(bins.dir, `pwned-${tok}`);
let bin = '';
let native = '';
let rawexec = '';
let specs = 0;

before(async () => {
  bin = await buildProbe(bins.dir, 'arm64');
  native = await goTestBinary(probeModule, path.join(bins.dir, 'probe.native.test'));
  rawexec = await buildRawexec(bins.dir);
});
after(bins.cleanup);

interface Case { args: Buffer[]; env: [string, Buffer][] }

/** Every byte 1..255 alone and all together, as arguments and as environment values. */
function exhaustive(): Case {
  const all = Buffer.from(Array.from({ length: 255 }, (_, i) => i + 1));
  const args = [...Array.from({ length: 255 }, (_, i) => Buffer.of(i + 1)), all, Buffer.alloc(0)];
  const env: [string, Buffer][] = Array.from({ length: 255 }, (_, i) => [`${ENV_PREFIX}B${i + 1}`, Buffer.of(i + 1)]);
  env.push([`${ENV_PREFIX}ALL`, all], [`${ENV_PREFIX}EMPTY`, Buffer.alloc(0)]);
  return { args, env };
}

let injections = 0;
function randomCase(r: () => number): Case {
  const target = () => `${r() < 0.5 ? pwnTmp : pwnBin()}-${++injections}`;
  const args = Array.from({ length: ARGS_PER_RUN }, () => bytes(r, target));
  const env = Array.from({ length: ENVS_PER_RUN }, (_, i): [string, Buffer] => [`${ENV_PREFIX}${i}`, bytes(r, target)]);
  return { args, env };
}

/** Execs the probe (through the wrapper, or the native binary directly) with exactly these bytes. */
function runCase(c: Case, via: 'wrapper' | 'native'): Promise<RunResult> {
  const base = Object.entries(goEnv({ goarch: 'arm64' }))
    .filter(([k]) => !k.startsWith(ENV_PREFIX))
    .map(([k, v]) => Buffer.from(`${k}=${v}`));
  const env = [...base, ...c.env.map(([k, v]) => Buffer.concat([Buffer.from(`${k}=`), v]))];
  const program = via === 'wrapper' ? [requireWrapper('arm64'), bin] : [native];
  const argv = [...program.map((p) => Buffer.from(p)), Buffer.from('-test.run=^TestEcho$'), Buffer.from('--'), ...c.args];
  const spec = path.join(bins.dir, `spec-${++specs}`);
  fs.writeFileSync(spec, rawexecSpec(argv, env));
  return run(rawexec, [spec], { cwd: probeModule, env: process.env, timeoutMs: 60_000 });
}

function assertSameBytes(c: Case, r: RunResult, what: string): void {
  const ctx = `${what} (seed ${seed}; GOCPU_E2E_SEED=${seed} replays it)`;
  assert.ok(!r.timedOut && r.code === 0, `${ctx}: the probe failed\n${describeRun(r).slice(0, 20_000)}`);
  const got = parseEcho(r.stdout);
  const bad: string[] = [];
  for (let i = 0; i < Math.max(c.args.length, got.args.length); i++) {
    const want = c.args[i];
    const have = got.args[i];
    if (!want || !have || !want.equals(have)) bad.push(`arg ${i}: sent ${want ? hex(want) : '(none)'} got ${have ? hex(have) : '(none)'}`);
  }
  const sent = new Map(c.env);
  for (const [k, v] of sent) {
    const have = got.env.get(k);
    if (!have || !have.equals(v)) bad.push(`env ${k}: sent ${hex(v)} got ${have ? hex(have) : '(unset)'}`);
  }
  for (const k of got.env.keys()) if (k.startsWith(ENV_PREFIX) && !sent.has(k)) bad.push(`env ${k}: not sent, got ${hex(got.env.get(k)!)}`);
  assert.deepEqual(bad, [], `${ctx}: ${bad.length} of ${c.args.length + c.env.length} strings differ`);
}

test('control: rawexec gives the probe exactly these bytes (native, no wrapper)', async (t) => {
  t.diagnostic(`seed ${seed}`);
  const c = exhaustive();
  assertSameBytes(c, await runCase(c, 'native'), 'native exhaustive');
  const r = randomCase(rng(seed ^ 0x5eed));
  assertSameBytes(r, await runCase(r, 'native'), 'native random');
});

test('every byte 1..255, alone and together, arrives unchanged in argv and env', async () => {
  const c = exhaustive();
  assertSameBytes(c, await runCase(c, 'wrapper'), 'exhaustive through the wrapper');
});

test(`random byte strings (${RUNS} runs x ${ARGS_PER_RUN} args + ${ENVS_PER_RUN} env values) arrive unchanged; no injection runs`, async (t) => {
  t.diagnostic(`seed ${seed} (GOCPU_E2E_SEED=${seed} replays it)`);
  const r = rng(seed);
  injections = 0;
  for (let i = 0; i < RUNS; i++) {
    const c = randomCase(r);
    assertSameBytes(c, await runCase(c, 'wrapper'), `random run ${i}`);
  }
  assert.ok(injections > 0, `seed ${seed} generated no injection attempt: the check below proves nothing`);
  const local = fs.readdirSync('/tmp').filter((f) => f.startsWith(path.basename(pwnTmp)))
    .concat(fs.readdirSync(bins.dir).filter((f) => f.startsWith(`pwned-${tok}`)));
  assert.deepEqual(local, [], `an injection ran on this machine or inside the remote namespace (seed ${seed})`);
  const remote = await remoteShOk(`for f in ${sq(pwnTmp)}*; do [ ! -e "$f" ] || echo "$f"; done`);
  assert.equal(remote.trim(), '', `an injection ran on the remote (seed ${seed})`);
});
