#!/usr/bin/env node
// `make bench`: gocpu against the seed's pipeline rebuilt from stock OpenSSH
// (bench/openssh-exec), on new connections and over a ControlMaster, with
// local qemu-user and `node -e 0` as floors. Prints the table and writes
// bench/RESULTS.md. A benchmark, not a test: no number fails it; only a run
// that does not succeed does (after the table is written).
//
// Env: BENCH_RUNS (default 3; per-call rows run 3 × BENCH_RUNS times),
//      BENCH_ONLY=name,... (only those sections, see SECTIONS; bench/RESULTS.md
//      keeps the last full run's other rows), GOCPU_TESTHOST_DIR as for hack/testhost.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeFixture, BIG_MB, SLEEP_PACKAGES, SLEEP_SECONDS } from './fixtures.mjs';
import { median, timedOk, RunFailed, rssSampler } from './measure.mjs';
import { testhostEnv, writeSshConfig, startProxy, startControlMaster } from './ssh-setup.mjs';
import { upPoolHosts } from './pool-hosts.mjs';
import { machine, table, resultsMarkdown, mergeResults, fmt } from './report.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..');
const runs = Math.max(1, Number(process.env.BENCH_RUNS ?? 3) || 3);
const gocpuExec = path.join(repo, 'bin/go_linux_arm64_exec');
const opensshExec = path.join(here, 'openssh-exec');
const QEMU = '/usr/bin/qemu-aarch64-static';
const TIME = '/usr/bin/time';
const log = (s) => process.stderr.write(`bench: ${s}\n`);

// The sections, in the table's order; BENCH_ONLY names a subset.
const SECTIONS = ['percall', 'gotest', 'rtt10', 'rtt50', 'read', 'rss', 'pool'];
const only = (process.env.BENCH_ONLY ?? '').split(',').map((s) => s.trim()).filter(Boolean);
const unknown = only.filter((s) => !SECTIONS.includes(s));
if (unknown.length) {
  log(`BENCH_ONLY: unknown section ${unknown.join(', ')} (known: ${SECTIONS.join(', ')})`);
  process.exit(2);
}
const selected = (name) => !only.length || only.includes(name);

const th = testhostEnv(repo);
const fx = makeFixture();
const failures = [];
const cleanups = [() => fx.cleanup()];

// gocpu and the pipeline, each towards one ssh Host entry of our ssh_config.
let sshConfig;
const base = { ...fx.goEnv() };
for (const k of Object.keys(base)) if (k.startsWith('GOCPU_') || k.startsWith('OSSH_')) delete base[k];
// The agent's socket directory of this bench run: warm calls share one agent.
const agentDir = path.join(fx.root, 'agent');
const gocpuEnv = (host, extra = {}) => ({ ...base, GOCPU_SSH_CONFIG: sshConfig, GOCPU_HOST_LINUX_ARM64: host, GOCPU_AGENT_DIR: agentDir, ...extra });
const ways = {
  gocpu: (host) => ({ label: 'gocpu, warm agent', cmd: gocpuExec, env: gocpuEnv(host) }),
  // GOCPU_AGENT_IDLE=0: the agent this call starts leaves right after it, so the next is cold too.
  cold: (host) => ({ label: 'gocpu, cold (the call starts the agent)', cmd: gocpuExec, env: gocpuEnv(host, { GOCPU_AGENT_DIR: `${agentDir}-cold`, GOCPU_AGENT_IDLE: '0' }) }),
  direct: (host) => ({ label: 'gocpu direct (GOCPU_AGENT=0: connection, mount, view per call)', cmd: gocpuExec, env: gocpuEnv(host, { GOCPU_AGENT: '0' }) }),
  fresh: (host) => ({ label: 'pipeline, new connection', cmd: opensshExec, env: { ...base, GOCPU_SSH_CONFIG: sshConfig, OSSH_HOST: host } }),
  cm: (host, master) => ({
    label: 'pipeline over ControlMaster',
    cmd: opensshExec,
    env: { ...base, GOCPU_SSH_CONFIG: sshConfig, OSSH_HOST: host, OSSH_SSH_OPTS: master.opts.join(' ') },
  }),
  qemu: () => ({ label: 'local qemu-user, no remote', cmd: QEMU, env: base }),
};

/**
 * Runs each way `n` times, interleaved (a b c a b c ...) so a load spike hits all
 * of them alike; value(r, row) turns one run into the number kept. A way that fails
 * once is marked failed and not run again.
 */
async function interleaved(n, list, value = (r) => r.ms) {
  const rows = list.map((w) => ({ label: w.label, unit: w.unit ?? 'ms', samples: [], failed: false, way: w }));
  for (let i = 0; i < n; i++) {
    for (const row of rows) {
      if (row.failed) continue;
      try {
        // prepare(): the arguments of this one run (a way whose binary is new each time).
        const args = row.way.prepare ? row.way.prepare(row.way.args) : row.way.args;
        const r = await timedOk(row.label, row.way.cmd, args, { cwd: row.way.cwd, env: row.way.env });
        row.samples.push(value(r, row));
      } catch (e) {
        if (!(e instanceof RunFailed)) throw e;
        row.failed = true;
        failures.push(e.message);
        log(`FAILED ${e.message}`);
      }
    }
  }
  for (const row of rows) {
    row.value = median(row.samples);
    log(`  ${row.label}: ${fmt(row)}`);
  }
  return rows;
}

const section = (title, n, rows) => ({ title, runs: n, rows, cm: rows.find((r) => r.key === 'cm'), fresh: rows.find((r) => r.key === 'fresh') });
const keyed = (key, w) => ({ ...w, key });
const tag = (rows, list) => rows.map((r, i) => Object.assign(r, { key: list[i].key, note: list[i].note }));

async function perCall(master) {
  const n = 3 * runs;
  log(`per-call wall, trivial arm64 test binary (${n}×)`);
  const cwd = path.join(fx.mod, 'trivial');
  const args = [fx.trivialBin, '-test.paniconexit0', '-test.timeout=10m0s'];
  const list = [
    keyed('gocpu', { ...ways.gocpu(th.GOCPU_HOST), note: 'connection and mount reused; view per call' }),
    // What a go test after a change does: every rebuilt package's binary is new, so the
    // agent sends it to the remote's cache (src/agent/binary-cache.ts) before the test
    // runs; the pipeline pages in what the test touches, new or not (the cm row).
    keyed('gocpu-new', { ...ways.gocpu(th.GOCPU_HOST), label: 'gocpu, warm agent, a new binary each call', note: 'sent to the remote\'s cache while the view is built', prepare: newBinary }),
    keyed('cold', ways.cold(th.GOCPU_HOST)),
    keyed('direct', ways.direct(th.GOCPU_HOST)),
    keyed('fresh', ways.fresh(th.GOCPU_HOST)),
    keyed('cm', ways.cm(th.GOCPU_HOST, master)),
    keyed('qemu', ways.qemu()),
    keyed('node', { label: 'node -e 0', cmd: process.execPath, env: base, args: ['-e', '0'] }),
    keyed('help', { label: 'gocpu --help (node and its imports)', cmd: path.join(repo, 'bin/gocpu'), env: base, args: ['--help'] }),
    keyed('true', { label: 'ssh host true over ControlMaster', cmd: 'ssh', env: base, args: ['-F', sshConfig, ...master.opts, th.GOCPU_HOST, 'true'] }),
  ].map((w) => ({ cwd, ...w, args: w.args ?? args }));
  master.check();
  // The same runs' CPU time, the whole machine's: on a small machine (this one has
  // few cores, and the test host shares them) it, not the wall, bounds go test -p N.
  const cpu = new Map(list.map((w) => [w.label, []]));
  const rows = tag(await interleaved(n, list, (r, row) => (cpu.get(row.label).push(r.cpuMs), r.ms)), list);
  master.check();
  const cpuRows = rows
    .filter((r) => !['help', 'true'].includes(r.key))
    .map((r) => ({ label: r.label, unit: 'ms', key: r.key, failed: r.failed, samples: cpu.get(r.label), value: median(cpu.get(r.label)) }));
  for (const r of cpuRows) log(`  CPU: ${r.label}: ${fmt(r)}`);
  return [section('trivial test binary, per call', n, rows), section('trivial test binary, CPU time per call (whole machine: local, test host, kernel)', n, cpuRows)];
}

/** The trivial binary with 16 random bytes after it: another sha256, the same run. */
let fresh = 0;
function newBinary(args) {
  const file = path.join(fx.root, 'fresh', `trivial-${++fresh}.test`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.copyFileSync(args[0], file);
  fs.appendFileSync(file, crypto.randomBytes(16));
  fs.chmodSync(file, 0o755);
  return [file, ...args.slice(1)];
}

/** `go test -p P -count=1 ./many/...` (20 packages) through each way's -exec. */
function goTestWay(w, p) {
  return { ...w, cmd: 'go', args: ['test', '-count=1', `-p=${p}`, `-exec=${w.cmd}`, './many/...'], cwd: fx.mod };
}

async function goTest(title, host, master, withFloor) {
  log(`${title} (${runs}×)`);
  const list = [keyed('gocpu', ways.gocpu(host)), keyed('direct', ways.direct(host)), keyed('fresh', ways.fresh(host)), keyed('cm', ways.cm(host, master))];
  if (withFloor) list.push(keyed('qemu', ways.qemu()));
  master.check();
  const rows = tag(await interleaved(runs, list.map((w) => goTestWay(w, 4))), list);
  master.check();
  return section(title, runs, rows);
}

async function throughput() {
  log(`read of a ${BIG_MB} MB testdata file inside a test (${runs}×)`);
  const cwd = path.join(fx.mod, 'readbig');
  const mbps = (r) => {
    const m = /BENCH_READ (\d+) bytes ([\d.]+) s/.exec(r.output);
    if (!m) throw new RunFailed(`no BENCH_READ line in:\n${r.output}`);
    return Number(m[1]) / 1e6 / Number(m[2]);
  };
  const list = [
    keyed('gocpu', { ...ways.gocpu(th.GOCPU_HOST), label: "gocpu's SFTP server" }),
    keyed('fresh', { ...ways.fresh(th.GOCPU_HOST), label: "OpenSSH's sftp-server (pipeline)" }),
    keyed('qemu', { ...ways.qemu(), label: 'local qemu-user, local file' }),
  ].map((w) => ({ ...w, cwd, args: [fx.readBin], unit: 'MB/s' }));
  const rows = tag(await interleaved(runs, list, mbps), list);
  return section(`${BIG_MB} MB testdata read inside a test, behind the same remote sshfs`, runs, rows);
}

async function peakRss() {
  log('peak RSS of the gocpu wrappers under go test -p 16 (1×)');
  if (!fs.existsSync(TIME)) throw new RunFailed(`${TIME} is missing (hack/install-deps installs the time package)`);
  const out = path.join(fx.root, 'rss.txt');
  const w = ways.gocpu(th.GOCPU_HOST);
  // A wrapper is the launcher's shell (its 3 s timer is a fork with the same argv) and,
  // when a call goes node's way rather than through the agent's door, node with the
  // entry script; not `time` or go, which hold the same words further along.
  const isNode = (argv, script) => /(^|\/)node$/.test(argv[0]) && Boolean(argv[1]?.includes(script));
  const isLauncher = (argv) => /(^|\/)(da|ba)?sh$/.test(argv[0]) && argv[1] === gocpuExec;
  const sampler = rssSampler((argv) => isLauncher(argv) || isNode(argv, 'dist/bundle/cli/entry.js'));
  const agentSampler = rssSampler((argv) => isNode(argv, 'dist/bundle/agent/main.js'));
  const rows = [];
  try {
    await timedOk('go test -p 16 through gocpu', 'go', ['test', '-count=1', '-p=16', `-exec=${TIME} -a -o ${out} -f %M ${gocpuExec}`, './many/...'], {
      cwd: fx.mod,
      env: w.env,
    });
    const peak = sampler.stop();
    const agent = agentSampler.stop();
    const perProcess = fs.readFileSync(out, 'utf8').split('\n').filter((l) => /^\d+$/.test(l)).map(Number);
    rows.push({ label: 'one wrapper call, max (the launcher and what it waits for)', unit: 'MB', value: Math.max(...perProcess) / 1024, note: `${perProcess.length} calls, /usr/bin/time` });
    rows.push({ label: 'all wrapper processes at once, max sum', unit: 'MB', value: peak.peakSumKb / 1024, note: `up to ${peak.peakCount} at once, /proc every 50 ms` });
    rows.push({ label: 'the agent, max', unit: 'MB', value: agent.peakSumKb / 1024, note: 'issue 8 target: <= 150 MB; /proc every 50 ms' });
  } catch (e) {
    sampler.stop();
    agentSampler.stop();
    if (!(e instanceof RunFailed)) throw e;
    failures.push(e.message);
    rows.push({ label: 'wrappers', unit: 'MB', failed: true });
  }
  return section('gocpu peak RSS under go test -p 16', 1, rows);
}

/**
 * Issue 8's pool target: `go test -p 16` over 16 packages that each sleep 2 s,
 * through a pool of four hosts with 2 slots each, against one of them alone
 * (also 2 slots), with local qemu-user as the floor. Both gocpu ways through one
 * warm agent of their own; one untimed `-run ^$` pass each first, so every host
 * is connected before the timed runs.
 */
async function pool() {
  log(`go test -p 16, ${SLEEP_PACKAGES} packages sleeping ${SLEEP_SECONDS} s: pool of 4 hosts against one (${runs}×)`);
  const hosts = await upPoolHosts(repo, th, log);
  cleanups.push(() => hosts.down());
  const env = (list) => ({ ...base, GOCPU_SSH_CONFIG: hosts.sshConfig, GOCPU_HOST_LINUX_ARM64: list.join(','), GOCPU_SLOTS: '2', GOCPU_AGENT_DIR: `${agentDir}-pool` });
  // -v: each test prints the remote's hostname (each pool host's is its alias).
  const goArgs = (exec = gocpuExec, extra = []) => ['test', '-count=1', '-p=16', '-v', `-exec=${exec}`, ...extra, './sleep/...'];
  const list = [
    keyed('pool', { label: `gocpu, warm agent, pool of ${hosts.hosts.length} hosts × 2 slots`, env: env(hosts.hosts) }),
    keyed('one', { label: 'gocpu, warm agent, one of those hosts alone, 2 slots', env: env(hosts.hosts.slice(0, 1)) }),
    // The floor: go's own links and all 16 sleeps at once, no wrapper, no remote.
    keyed('qemu', { label: 'local qemu-user, no remote, all 16 at once', env: base, exec: QEMU }),
  ].map((w) => ({ ...w, cmd: 'go', args: goArgs(w.exec), cwd: fx.mod }));
  for (const w of list.filter((w) => !w.exec)) {
    try {
      await timedOk(`${w.label} (warm-up)`, 'go', goArgs(gocpuExec, ['-run', '^$']), { cwd: fx.mod, env: w.env });
    } catch (e) {
      if (!(e instanceof RunFailed)) throw e;
      failures.push(e.message);
      log(`FAILED ${e.message}`);
    }
  }
  const used = new Map(list.map((w) => [w.label, new Set()]));
  const value = (r, row) => {
    for (const m of r.output.matchAll(/^BENCH_HOST (\S+)$/gm)) used.get(row.label).add(m[1]);
    return r.ms;
  };
  const rows = tag(await interleaved(runs, list, value), list);
  const [poolRow, oneRow] = rows;
  const r = poolRow.failed || oneRow.failed ? 'n/a' : (poolRow.value / oneRow.value).toFixed(2);
  const hostsUsed = (row) => `calls went to ${used.get(row.label).size} host(s)`;
  poolRow.note = `÷ one host alone: ${r} (issue 8 target: <= 0.35); ${hostsUsed(poolRow)}`;
  oneRow.note = hostsUsed(oneRow);
  log(`  pool ÷ one host: ${r}; pool: ${[...used.get(poolRow.label)].join(' ')}; one: ${[...used.get(oneRow.label)].join(' ')}`);
  await hosts.down();
  return section(`go test -p 16, ${SLEEP_PACKAGES} packages sleeping ${SLEEP_SECONDS} s, host pool`, runs, rows);
}

async function main() {
  const proxies = {};
  for (const rtt of [10, 50]) {
    proxies[rtt] = await startProxy(rtt, `127.0.0.1:${th.GOCPU_TESTHOST_PORT}`);
    cleanups.push(() => proxies[rtt].stop());
  }
  const delayed = (rtt) => `gocpu-bench-rtt${rtt}`;
  sshConfig = writeSshConfig(fx.root, th.GOCPU_SSH_CONFIG, th.GOCPU_HOST, [10, 50].map((rtt) => ({ name: delayed(rtt), port: proxies[rtt].port })));
  const masters = {};
  for (const [key, host] of [['0', th.GOCPU_HOST], ['10', delayed(10)], ['50', delayed(50)]]) {
    masters[key] = startControlMaster(sshConfig, host, fx.root);
    cleanups.push(() => masters[key].stop());
  }
  const remoteSsh = ['ssh', '-F', sshConfig, ...masters[0].opts, th.GOCPU_HOST];
  const info = machine(repo, remoteSsh);
  const sections = [];
  if (selected('percall')) sections.push(...(await perCall(masters[0])));
  if (selected('gotest')) sections.push(await goTest('go test -p 4, 20 packages', th.GOCPU_HOST, masters[0], true));
  if (selected('rtt10')) sections.push(await goTest('go test -p 4, 20 packages, +10 ms round trip', delayed(10), masters[10], false));
  if (selected('rtt50')) sections.push(await goTest('go test -p 4, 20 packages, +50 ms round trip', delayed(50), masters[50], false));
  if (selected('read')) sections.push(await throughput());
  if (selected('rss')) sections.push(await peakRss());
  if (selected('pool')) {
    try {
      sections.push(await pool());
    } catch (e) {
      // Its hosts did not come up: the other rows still count.
      failures.push(`pool: ${e.message}`);
      log(`FAILED pool: ${e.message}`);
    }
  }

  // The pipeline's bindmount script leaves the empty directories it created on the remote.
  // Only below those: a find over all of /tmp fails on another user's private directory
  // there (a root login's gocpu base dir, 0700, after make test).
  await timedOk('remote cleanup', remoteSsh[0], [...remoteSsh.slice(1),
    "for d in /tmp/go-build* /tmp/gocpu-bench-*; do [ ! -d \"$d\" ] || find \"$d\" -maxdepth 5 -depth -type d -empty -user \"$(id -u)\" -delete; done"], { env: process.env });

  const loadAfter = os.loadavg().map((l) => l.toFixed(2)).join(' ');
  process.stdout.write(`\n${table(sections)}\n\nload average before: ${info.load}, after: ${loadAfter}\n`);
  const results = path.join(here, 'RESULTS.md');
  const measured = { machine: info, sections, failures, runs, loadAfter };
  if (only.length && fs.existsSync(results)) {
    fs.writeFileSync(results, mergeResults(fs.readFileSync(results, 'utf8'), { ...measured, only }));
    log(`updated the ${only.join(', ')} rows of bench/RESULTS.md`);
  } else {
    fs.writeFileSync(results, resultsMarkdown(measured));
    log('wrote bench/RESULTS.md');
  }
}

try {
  await main();
} finally {
  for (const c of cleanups.reverse()) await c();
}
if (failures.length) {
  log(`${failures.length} run(s) did not succeed:\n${failures.join('\n')}`);
  process.exitCode = 1;
}
