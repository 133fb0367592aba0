/**
 * bin/gocpu (the sh launcher) with a stand-in for node (GOCPU_NODE), and the real
 * node side of its protocol (src/cli/launcher.ts): statuses pass through, a signal
 * death becomes the launcher's own, INT/TERM/HUP/QUIT are relayed and counted once,
 * SIGUSR1 never starts the inspector, node goes when the launcher is SIGKILLed.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { binDir, repoRoot } from '../e2e/repo.js';
import { forwardable } from '../../src/config/env-filter.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gocpu-launcher-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const launcherModule = pathToFileURL(path.join(repoRoot, 'dist/src/cli/launcher.js')).href;

// The stand-in for node: argv is [entry.js, NAME, ARGS...]; FAKE says what to do.
const fakeJs = path.join(tmp, 'fake.mjs');
fs.writeFileSync(fakeJs, `
import { startUnderLauncher, markSignalDeath, onForwardedSignal } from ${JSON.stringify(launcherModule)};
const [how, arg] = (process.env.FAKE ?? '').split(':');
const launcher = process.env.GOCPU_LAUNCHER;
const startedWith = { ca: process.env.NODE_EXTRA_CA_CERTS ?? null, aside: process.env.GOCPU_NODE_EXTRA_CA_CERTS ?? null };
startUnderLauncher();
if (how === 'ca') { console.log(JSON.stringify({ startedWith, now: { ca: process.env.NODE_EXTRA_CA_CERTS ?? null, aside: process.env.GOCPU_NODE_EXTRA_CA_CERTS ?? null } })); }
if (how === 'exit') process.exit(Number(arg));
if (how === 'die') { markSignalDeath(); process.exit(Number(arg)); }
if (how === 'args') { console.log(JSON.stringify({ argv: process.argv.slice(2), launcher, ppid: process.ppid, left: process.env.GOCPU_LAUNCHER ?? null, argv0: process.env.GOCPU_ARGV0 ?? null })); }
if (how === 'cat') process.stdin.pipe(process.stdout);
if (how === 'relay') {
  onForwardedSignal((s) => { console.log('act ' + s); if (s === 'SIGTERM') process.exit(0); });
  console.log('ready');
  setInterval(() => {}, 1000);
}
if (how === 'usr1') {
  // No listener of our own (it would be a guard itself): startUnderLauncher's must do.
  process.kill(process.pid, 'SIGUSR1');
  setTimeout(async () => {
    const inspector = await import('node:inspector');
    console.log('usr1 inspector=' + (inspector.url() ?? 'none'));
    process.exit(0);
  }, 1000);
}
if (how === 'sleep') { console.log('ready ' + process.pid); setInterval(() => {}, 1000); }
`);
const fakeNode = path.join(tmp, 'node');
fs.writeFileSync(fakeNode, `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(fakeJs)} "$@"\n`, { mode: 0o755 });

const launcher = path.join(binDir, 'go_linux_arm64_exec');
// node's way, which these tests are about: with an agent allowed, a call with no agent
// running would have the launcher start one with the stand-in (bin/gocpu's door_start).
const NO_AGENT = { GOCPU_AGENT: '0' };

function runLauncher(fake: string, opts: { input?: string; argv0?: string; shPrefix?: string; env?: NodeJS.ProcessEnv } = {}) {
  const env = { ...process.env, ...NO_AGENT, GOCPU_NODE: fakeNode, FAKE: fake, ...opts.env };
  const cmd = opts.shPrefix ? '/bin/sh' : (opts.argv0 ?? launcher);
  const args = opts.shPrefix ? ['-c', `${opts.shPrefix}; exec "$0" a 'b c'`, launcher] : ['a', 'b c'];
  return spawnSync(cmd, args, { env, input: opts.input ?? '', encoding: 'utf8', timeout: 30_000 });
}

test('an exit status 0-255 passes through', () => {
  for (const code of [0, 1, 2, 42, 125, 127, 128, 129, 138, 141, 143, 255]) {
    const r = runLauncher(`exit:${code}`);
    assert.deepEqual({ status: r.status, signal: r.signal }, { status: code, signal: null }, `exit ${code}: ${r.stderr}`);
  }
});

test('node marking a signal death: the launcher dies by exactly that signal', () => {
  for (const sig of ['SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGUSR1', 'SIGPIPE', 'SIGKILL', 'SIGSEGV', 'SIGBUS', 'SIGTERM', 'SIGSYS', 'SIGXCPU'] as const) {
    const r = runLauncher(`die:${os.constants.signals[sig]}`);
    assert.deepEqual({ status: r.status, signal: r.signal }, { status: null, signal: sig }, `${sig}: ${r.stderr}`);
  }
});

test('a signal ignored when the launcher started cannot kill it: exit 128+N instead', () => {
  const r = runLauncher('die:12', { shPrefix: "trap '' USR2" });
  assert.deepEqual({ status: r.status, signal: r.signal }, { status: 140, signal: null }, r.stderr);
});

test('stdin reaches node (a background job would get /dev/null)', () => {
  const r = runLauncher('cat', { input: 'line one\nline two\n' });
  assert.equal(r.stdout, 'line one\nline two\n', r.stderr);
  assert.equal(r.status, 0);
});

test('found through a chain of links (npm links bin files into /usr/local/bin); the name called by comes first', () => {
  const dir = path.join(tmp, 'links');
  fs.mkdirSync(path.join(dir, 'usr/local/bin'), { recursive: true });
  fs.symlinkSync(launcher, path.join(dir, 'abs_link'));
  fs.symlinkSync('../../../abs_link', path.join(dir, 'usr/local/bin/go_linux_arm64_exec'));
  const called = path.join(dir, 'usr/local/bin/go_linux_arm64_exec');
  const r = runLauncher('args', { argv0: called });
  assert.equal(r.status, 0, r.stderr);
  const got = JSON.parse(r.stdout);
  assert.equal(fs.realpathSync(got.argv[0]), fs.realpathSync(path.join(repoRoot, 'dist/bundle/cli/entry.js')));
  assert.deepEqual(got.argv.slice(1), [called, 'a', 'b c']);
  assert.equal(got.launcher, String(got.ppid), 'GOCPU_LAUNCHER names the launcher, our parent');
  assert.equal(got.left, null, 'startUnderLauncher takes GOCPU_LAUNCHER out of the environment');
  assert.equal(forwardable('GOCPU_LAUNCHER'), false);
  assert.equal(forwardable('GOCPU_NODE'), false);
});

test("GOCPU_ARGV0 (gocpu install's wrappers) is the name node gets, and nothing below the launcher inherits it", () => {
  const r = runLauncher('args', { argv0: path.join(binDir, 'gocpu'), env: { GOCPU_ARGV0: 'go_linux_riscv64_exec' } });
  assert.equal(r.status, 0, r.stderr);
  const got = JSON.parse(r.stdout);
  assert.deepEqual(got.argv.slice(1), ['go_linux_riscv64_exec', 'a', 'b c']);
  assert.equal(got.argv0, null);
  const plain = JSON.parse(runLauncher('args', { argv0: path.join(binDir, 'gocpu') }).stdout);
  assert.deepEqual(plain.argv.slice(1), [path.join(binDir, 'gocpu'), 'a', 'b c'], 'without it: the name called by');
});

test('SIGUSR1 to node never starts the inspector', () => {
  const r = runLauncher('usr1');
  assert.equal(r.stdout, 'usr1 inspector=none\n', r.stderr);
  assert.doesNotMatch(r.stderr, /Debugger listening/);
  assert.equal(r.status, 0);
});

/** Starts the launcher on FAKE=relay/sleep and resolves with it once node printed "ready". */
function live(fake: string) {
  const child = spawn(launcher, [], { env: { ...process.env, ...NO_AGENT, GOCPU_NODE: fakeNode, FAKE: fake }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  child.stderr.on('data', (b) => (out += b));
  const lines: string[] = [];
  const waiters: (() => void)[] = [];
  child.stdout.on('data', (b) => {
    out += b;
    lines.splice(0, lines.length, ...out.split('\n'));
    for (const w of waiters.splice(0)) w();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => child.on('close', (code, signal) => res({ code, signal })));
  const waitFor = (re: RegExp) =>
    new Promise<string>((res, rej) => {
      const check = () => {
        const m = re.exec(out);
        if (m) return res(m[0]);
        waiters.push(check);
      };
      exited.then(() => rej(new Error(`ended before ${re}: ${out}`)));
      check();
    });
  return { child, waitFor, exited, output: () => out };
}

test('INT and HUP sent to the launcher are relayed, each counted once; TERM too', { timeout: 60_000 }, async () => {
  const l = live('relay');
  await l.waitFor(/^ready$/m);
  l.child.kill('SIGINT');
  await l.waitFor(/^act SIGINT$/m);
  l.child.kill('SIGHUP');
  await l.waitFor(/^act SIGHUP$/m);
  l.child.kill('SIGTERM');
  const end = await l.exited;
  assert.deepEqual(end, { code: 0, signal: null }, l.output());
  assert.equal(l.output().match(/^act /gm)?.length, 3, l.output());
});

test("a terminal's ^C (the whole process group: launcher and node) counts once", { timeout: 60_000 }, async () => {
  const l = live('relay');
  await l.waitFor(/^ready$/m);
  process.kill(-l.child.pid!, 'SIGINT');
  await l.waitFor(/^act SIGINT$/m);
  process.kill(-l.child.pid!, 'SIGQUIT');
  await l.waitFor(/^act SIGQUIT$/m);
  l.child.kill('SIGTERM');
  await l.exited;
  assert.deepEqual(l.output().match(/^act \w+$/gm), ['act SIGINT', 'act SIGQUIT', 'act SIGTERM'], l.output());
});

test('node ends soon after its launcher is SIGKILLed (go\'s last word to a wrapper)', { timeout: 60_000 }, async () => {
  const l = live('sleep');
  const nodePid = Number((await l.waitFor(/^ready \d+$/m)).split(' ')[1]);
  l.child.kill('SIGKILL');
  await l.exited;
  const deadline = Date.now() + 10_000;
  const alive = () => {
    try {
      process.kill(nodePid, 0);
      return true;
    } catch {
      return false;
    }
  };
  while (alive() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  assert.equal(alive(), false, `node ${nodePid} still runs 10 s after its launcher died`);
});

test('NODE_EXTRA_CA_CERTS: node starts without it (it would parse the file first), and gets it back for what it starts', () => {
  const set = JSON.parse(runLauncher('ca', { env: { NODE_EXTRA_CA_CERTS: '/no/such file\nx', GOCPU_NODE_EXTRA_CA_CERTS: undefined } }).stdout);
  assert.deepEqual(set, { startedWith: { ca: null, aside: '/no/such file\nx' }, now: { ca: '/no/such file\nx', aside: null } });
  const empty = JSON.parse(runLauncher('ca', { env: { NODE_EXTRA_CA_CERTS: '' } }).stdout);
  assert.deepEqual(empty.now, { ca: '', aside: null }, 'set and empty stays set and empty');
  // Unset: a stray GOCPU_NODE_EXTRA_CA_CERTS must not become one.
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  const r = spawnSync(launcher, ['a'], { env: { ...env, ...NO_AGENT, GOCPU_NODE: fakeNode, FAKE: 'ca', GOCPU_NODE_EXTRA_CA_CERTS: '/stray' }, encoding: 'utf8' });
  assert.deepEqual(JSON.parse(r.stdout), { startedWith: { ca: null, aside: null }, now: { ca: null, aside: null } }, r.stderr);
  assert.equal(forwardable('NODE_EXTRA_CA_CERTS'), false);
  assert.equal(forwardable('GOCPU_NODE_EXTRA_CA_CERTS'), false);
});
