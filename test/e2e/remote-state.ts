/**
 * What one run left on the test host, seen as root there. Other test files run at
 * the same time against the same host, so nothing is counted by kind ("no sshfs
 * left"): a run is found by a marker of ours (an argument of the test binary and a
 * variable in its environment), its nonce is read from its nsenter's command line,
 * and a snapshot taken while it runs lists its processes by pid and start time.
 * A run's processes: those whose command line or environment names the marker or
 * the nonce (mount.sh, sshfs, watch.sh, nsenter, the holder's unshare, the test, its
 * children), everything in the test's pid namespace while it runs (the holder's pid 1), their
 * descendants, and the sshd session processes above them (its connection).
 */
import { execFile, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { repoRoot, testHost } from './harness.js';

const testhost = path.join(repoRoot, 'hack', 'testhost');

export interface RemoteProc {
  pid: number;
  ppid: number;
  /** Start time in clock ticks since boot: with pid, names a process across pid reuse. */
  start: string;
  uid: number;
  pidns: string;
  /** Does its command line or environment contain one of the needles? */
  marked: boolean;
  args: string;
}

export interface RemoteState {
  /** The scanner's own pid namespace: the host's. */
  hostNs: string;
  procs: RemoteProc[];
  /** Lines of /proc/mounts (FUSE, or under a gocpu dir). */
  mounts: string[];
  /** /tmp/gocpu.* paths. */
  dirs: string[];
}

export interface RemoteRun {
  marker: string;
  nonce: string;
  dir: string;
  /** The run's own pid namespaces (the test's), while it runs. */
  pidns: string[];
  procs: RemoteProc[];
  mounts: string[];
}

// Reads needles from its own text (stdin to perl), never from a command line: a
// command line with the marker would count as one of the run's processes.
const SCAN = String.raw`
my $own = readlink("/proc/$$/ns/pid") // '';
print "S\t$own\n";
sub slurp { my $f; open($f, '<', $_[0]) or return ''; local $/; my $s = <$f>; close $f; return $s // '' }
opendir(my $dh, '/proc') or die;
for my $pid (grep { /^\d+$/ } readdir $dh) {
  next if $pid == $$;
  my $stat = slurp("/proc/$pid/stat");
  next unless $stat =~ /\) (.*)$/s;
  my @s = split / /, $1;
  my $cmd = slurp("/proc/$pid/cmdline");
  my $env = slurp("/proc/$pid/environ");
  my $ns = readlink("/proc/$pid/ns/pid") // '';
  my $uid = (stat("/proc/$pid"))[4] // -1;
  my $m = (grep { index($cmd, $_) >= 0 || index($env, $_) >= 0 } @needles) ? 1 : 0;
  $cmd =~ s/\0+$//; $cmd =~ tr/\0\t\n/   /;
  print join("\t", 'P', $pid, $s[1], $s[19], $uid, $ns, $m, $cmd), "\n";
}
for (split /\n/, slurp('/proc/mounts')) { print "M\t$_\n" if /fuse|gocpu\./ }
print "D\t$_\n" for glob('/tmp/gocpu.*');
`;

function runScript(cmd: string, script: string, ms = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(testhost, [cmd, 'perl'], { stdio: ['pipe', 'pipe', 'pipe'], timeout: ms });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolve(Buffer.concat(out).toString('utf8'));
      else reject(new Error(`hack/testhost ${cmd} perl: ${code ?? signal}: ${Buffer.concat(err).toString('utf8')}`));
    });
    child.stdin.end(script);
  });
}

/** Every process, FUSE mount and gocpu dir on the test host; `marked` for those naming a needle. */
export async function remoteState(needles: string[]): Promise<RemoteState> {
  for (const n of needles) if (!/^[\w.-]+$/.test(n)) throw new Error(`needle ${n} needs quoting`);
  const text = await runScript('root-ssh', `my @needles = (${needles.map((n) => `'${n}'`).join(', ')});\n${SCAN}`);
  const st: RemoteState = { hostNs: '', procs: [], mounts: [], dirs: [] };
  for (const line of text.split('\n')) {
    const f = line.split('\t');
    if (f[0] === 'S') st.hostNs = f[1];
    else if (f[0] === 'M') st.mounts.push(f.slice(1).join('\t'));
    else if (f[0] === 'D') st.dirs.push(f[1]);
    else if (f[0] === 'P') {
      st.procs.push({ pid: +f[1], ppid: +f[2], start: f[3], uid: +f[4], pidns: f[5], marked: f[6] === '1', args: f.slice(7).join(' ') });
    }
  }
  return st;
}

/** A process for a message: pid, uid and its command line, long scripts cut in the middle. */
export function describeProc(p: RemoteProc): string {
  const a = p.args.length > 200 ? `${p.args.slice(0, 90)} [...] ${p.args.slice(-90)}` : p.args;
  return `pid ${p.pid} (ppid ${p.ppid}, uid ${p.uid}): ${a}`;
}

/** Processes for which `seed` holds, their descendants and the sshd session processes above them. */
function runProcs(st: RemoteState, seed: (p: RemoteProc) => boolean): RemoteProc[] {
  const byPid = new Map(st.procs.map((p) => [p.pid, p]));
  const mine = new Set(st.procs.filter(seed).map((p) => p.pid));
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of st.procs) if (!mine.has(p.pid) && mine.has(p.ppid)) (mine.add(p.pid), (grew = true));
  }
  for (const pid of [...mine]) {
    for (let a = byPid.get(byPid.get(pid)?.ppid ?? 0); a && a.args.startsWith('sshd: ') && !a.args.includes('[listener]'); a = byPid.get(a.ppid)) {
      mine.add(a.pid);
    }
  }
  return st.procs.filter((p) => mine.has(p.pid));
}

/** Waits (up to `ms`) until the test process carrying `marker` runs and snapshots its run. */
export async function findRemoteRun(marker: string, ms = 30_000): Promise<RemoteRun> {
  const deadline = Date.now() + ms;
  let last: RemoteState | undefined;
  while (Date.now() < deadline) {
    last = await remoteState([marker]);
    const marked = last.procs.filter((p) => p.marked);
    const nonce = marked.map((p) => / gocpu-exec ([0-9a-f]{24}) /.exec(p.args)?.[1]).find((n) => n);
    const pidns = [...new Set(marked.map((p) => p.pidns).filter((ns) => ns !== last!.hostNs))];
    if (nonce && pidns.length > 0) {
      const st = await remoteState([marker, nonce]);
      const dir = `/tmp/gocpu.${nonce}`;
      const procs = runProcs(st, (p) => p.marked || pidns.includes(p.pidns));
      return { marker, nonce, dir, pidns, procs, mounts: st.mounts.filter((m) => m.includes(`${dir}/`)) };
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  const seen = last?.procs.filter((p) => p.marked).map(describeProc).join('\n') || '(no process with the marker)';
  throw new Error(`no run with marker ${marker} on the test host within ${ms} ms; marked processes:\n${seen}`);
}

/** What of `run` is still on the test host: processes, mounts, its dir. Empty when nothing. */
/**
 * sharedConnection: the run came through the agent, whose connection (its sshd
 * session) outlives every run by design; only the run's own processes count.
 */
export function leftovers(run: RemoteRun, st: RemoteState, sharedConnection = false): string[] {
  // Not by pid namespace: once the run's is gone, its inode number goes to the next one.
  const was = new Set(run.procs.map((p) => `${p.pid}/${p.start}`));
  const shared = (p: RemoteProc) => sharedConnection && p.args.startsWith('sshd: ');
  // The shared session's other children (the agent's mount, other runs) are not this run's either.
  const left = runProcs(st, (p) => p.marked || (was.has(`${p.pid}/${p.start}`) && !shared(p))).filter((p) => !shared(p));
  return [
    ...left.map((p) => `process ${describeProc(p)}`),
    ...st.mounts.filter((m) => m.includes(`${run.dir}/`)).map((m) => `mount ${m}`),
    ...st.dirs.filter((d) => d === run.dir).map((d) => `directory ${d}`),
  ];
}

/** Polls until nothing of `run` is left or `deadline` (Date.now() ms) passes; returns what was left last. */
export async function waitRemoteClean(run: RemoteRun, deadline: number, sharedConnection = false): Promise<string[]> {
  for (;;) {
    const left = leftovers(run, await remoteState([run.marker, run.nonce]), sharedConnection);
    if (left.length === 0 || Date.now() > deadline) return left;
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** The test binary's own process (not setsid, nsenter or exec.sh, whose arguments end the same way). */
export function testProcessPattern(marker: string): RegExp {
  return new RegExp(`^(?!nsenter |setsid |sh -c ).* ${marker}$`);
}

/** Fails unless the snapshot holds a process matching each pattern, so that "nothing left" means something. */
/** sharedMount: the run came through the agent, whose sshfs mount is not in the run's dir. */
export function assertRunHas(run: RemoteRun, patterns: RegExp[], sharedMount = false): void {
  const all = run.procs.map(describeProc).join('\n');
  for (const re of patterns) {
    if (!run.procs.some((p) => re.test(p.args))) throw new Error(`the snapshot of run ${run.nonce} has no process matching ${re}:\n${all}`);
  }
  const want = sharedMount ? 0 : 1;
  if (run.mounts.length !== want) throw new Error(`the snapshot of run ${run.nonce} has ${run.mounts.length} mounts of ${run.dir}, want ${want}`);
}

export interface RemoteScript {
  /** Resolves with the output so far once it matches; rejects after `ms` or when the script ended first. */
  waitFor(re: RegExp, ms: number): Promise<string>;
  /** The whole output, once the script has ended (or `ms` passed: then it is killed here). */
  end(ms: number): Promise<string>;
}

/** Starts a perl script (on its stdin) as `gocpu` ('ssh') or root ('root-ssh') on the test host. */
export function startRemotePerl(login: 'ssh' | 'root-ssh', script: string): RemoteScript {
  const child = spawn(testhost, [login, 'perl'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString('utf8')));
  child.stderr.on('data', (b: Buffer) => (out += b.toString('utf8')));
  child.stdin.end(script);
  const closed = new Promise<void>((r) => child.on('close', () => r()));
  const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());
  return {
    async waitFor(re, ms) {
      let ended = false;
      void closed.then(() => (ended = true));
      for (const deadline = Date.now() + ms; !re.test(out); await sleep(50)) {
        if (ended || Date.now() > deadline) throw new Error(`remote perl: no ${re} ${ended ? 'before it ended' : `within ${ms} ms`}; output:\n${out}`);
      }
      return out;
    },
    async end(ms) {
      await Promise.race([closed, sleep(ms)]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      return out;
    },
  };
}

/** Runs a shell script as `gocpu` (login: 'ssh') or root ('root-ssh') on the test host. */
export async function remoteShell(login: 'ssh' | 'root-ssh', script: string): Promise<string> {
  const r = await promisify(execFile)(testhost, [login, 'sh', '-c', shQuote(script)], { timeout: 30_000 });
  return r.stdout;
}

function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * The local port of the one SSH connection that process `pid` (or its child: the
 * wrapper is bin/gocpu, a sh launcher whose node child connects) has to the test host.
 */
export async function connectionPort(pid: number): Promise<number> {
  const port = testHost().env.GOCPU_TESTHOST_PORT ?? '2222';
  const r = await promisify(execFile)('ss', ['-tnpH', 'state', 'established', `( dport = :${port} )`]);
  let children: string[] = [];
  try {
    children = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(' ').filter(Boolean);
  } catch {
    /* gone: no children */
  }
  const pids = [String(pid), ...children];
  const ports = r.stdout
    .split('\n')
    .filter((l) => pids.some((p) => l.includes(`pid=${p},`)))
    .map((l) => Number(/:(\d+)\s+\S+:\d+\s/.exec(l)?.[1]));
  if (ports.length !== 1 || !ports[0]) throw new Error(`want one connection of pid ${pid} to port ${port}, ss shows:\n${r.stdout}`);
  return ports[0];
}

/** `hack/testhost cut --for SECONDS PORT` / `heal PORT`. */
export async function cutLink(clientPort: number, seconds: number): Promise<void> {
  await promisify(execFile)(testhost, ['cut', '--for', String(seconds), String(clientPort)], { timeout: 30_000 });
}

export async function healLink(clientPort: number): Promise<void> {
  await promisify(execFile)(testhost, ['heal', String(clientPort)], { timeout: 30_000 });
}

/**
 * A script that sets $pids to the test host's sshd processes of the connection whose
 * client (local) port is `clientPort`, found by the socket's inode (/proc/1/net/tcp: the
 * host's sshd listener sees its network namespace), never by name: other test files'
 * sessions share that sshd. Run as root.
 */
function sessionPidsScript(clientPort: number): string {
  const port = Number(testHost().env.GOCPU_TESTHOST_PORT ?? '2222');
  const hex = (n: number) => n.toString(16).toUpperCase().padStart(4, '0');
  return `ino=$(awk '$2 ~ /:${hex(port)}$/ && $3 ~ /:${hex(clientPort)}$/ {print $10}' /proc/1/net/tcp)
[ -n "$ino" ] || { echo "no connection from port ${clientPort}" >&2; exit 3; }
pids=$(for f in /proc/[0-9]*/fd/*; do [ "$(readlink "$f" 2>/dev/null)" = "socket:[$ino]" ] && echo "\${f#/proc/}"; done | cut -d/ -f1 | sort -u)
[ -n "$pids" ] || { echo "no process holds socket $ino" >&2; exit 3; }`;
}

/** SIGKILLs the test host's sshd processes of the connection from local port `clientPort`; returns their pids. */
export async function killSshdSession(clientPort: number): Promise<number[]> {
  const out = await remoteShell('root-ssh', `${sessionPidsScript(clientPort)}
kill -KILL $pids && echo $pids`);
  return out.trim().split(/\s+/).map(Number);
}

/**
 * The run dirs (/tmp/gocpu.NONCE) of the agent's shared mounts on the connection from
 * local port `clientPort`: each mount half below its sshd session that says "mounted"
 * (mount.sh's SAY_MOUNTED=1, its last argument).
 */
export async function sharedMountDirs(clientPort: number): Promise<string[]> {
  const out = await remoteShell('root-ssh', `${sessionPidsScript(clientPort)}
echo $pids`);
  const session = new Set(out.trim().split(/\s+/).map(Number));
  const procs = runProcs(await remoteState([]), (p) => session.has(p.pid));
  return [...new Set(procs.flatMap((p) => / gocpu-mount ([0-9a-f]{24}) .* 1$/.exec(p.args)?.[1] ?? []))].map((n) => `/tmp/gocpu.${n}`);
}
