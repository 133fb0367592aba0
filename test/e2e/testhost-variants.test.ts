/**
 * The variant test hosts (testhost-variants.ts) lack exactly what they claim and have
 * everything else: the facts as the login user sees them over ssh, `gocpu doctor`'s
 * verdict with its fix line, and what a plain `GOARCH=arm64 go test` through the
 * wrapper does on each (copy mode where it can). Brings the variants up when they are down (as root).
 */
import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { binDir, describeRun, goTest, run, tempDir, testHost, type RunResult } from './harness.js';
import { probeModule } from './probe.js';
import { type Variant, VARIANTS, type VariantHost, upVariant } from './testhost-variants.js';

const NAMES = Object.keys(VARIANTS) as Variant[];
const tmp = tempDir();
after(tmp.cleanup);
const hosts = new Map<Variant, VariantHost>();
let arm64Bin = '';

before(async () => {
  for (const v of NAMES) hosts.set(v, await upVariant(v));
  // A static arm64 program that prints its GOARCH: what the host's binfmt entry must run.
  fs.writeFileSync(path.join(tmp.dir, 'main.go'), 'package main\n\nimport (\n\t"fmt"\n\t"runtime"\n)\n\nfunc main() { fmt.Println(runtime.GOARCH) }\n');
  fs.writeFileSync(path.join(tmp.dir, 'go.mod'), 'module example.com/arch\n\ngo 1.19\n');
  arm64Bin = path.join(tmp.dir, 'arch.arm64');
  const env: NodeJS.ProcessEnv = { ...process.env, GOOS: 'linux', GOARCH: 'arm64', CGO_ENABLED: '0', GOFLAGS: '' };
  const r = await run('go', ['build', '-o', arm64Bin, '.'], { cwd: tmp.dir, env });
  assert.equal(r.code, 0, `go build of the arm64 program failed: ${describeRun(r)}`);
});

function host(v: Variant): VariantHost {
  const h = hosts.get(v);
  assert.ok(h, `${v} host not up`);
  return h;
}

/** ssh as the login user, `input` on stdin; no timeout of its own (the test's bounds it). */
function ssh(v: Variant, args: string[], input: string | Buffer): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('ssh', ['-F', host(v).sshConfig, host(v).host, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString('utf8')));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

// What the login user finds, one KEY=VALUE a line. The sshfs mount is the reverse-sshfs
// shape (sshfs -o passive on a pipe to sftp-server); it waits for the mount or for sshfs
// to end, whichever comes first.
const FACTS = String.raw`
out() { printf '%s=%s\n' "$1" "$2"; }
if command -v sshfs >/dev/null 2>&1; then out sshfs present; else out sshfs missing; fi
if [ -c /dev/fuse ] && [ -r /dev/fuse ] && [ -w /dev/fuse ]; then out fuse usable
elif [ -e /dev/fuse ]; then out fuse denied; else out fuse missing; fi
out userns "$(LC_ALL=C unshare --user --map-root-user --mount-proc --pid --fork sh -c 'echo "$(id -u) $$"' 2>&1)"
if [ "$(cat /proc/sys/user/max_user_namespaces)" = 0 ]; then out userns_limit 0; else out userns_limit above-0; fi
if command -v sshfs >/dev/null 2>&1; then
  d=$(mktemp -d); mkdir "$d/src" "$d/mnt"; echo hello-fuse >"$d/src/f"; mkfifo "$d/fifo"
  /usr/lib/openssh/sftp-server <"$d/fifo" | LC_ALL=C sshfs -f -o passive ":$d/src" "$d/mnt" >"$d/fifo" 2>"$d/err" &
  p=$!
  while ! mountpoint -q "$d/mnt" && kill -0 "$p" 2>/dev/null; do sleep 0.05; done
  if mountpoint -q "$d/mnt"; then out sshfs_mount "$(cat "$d/mnt/f")"; fusermount3 -u "$d/mnt"
  else out sshfs_mount "failed: $(head -n 1 "$d/err")"; fi
  wait
  rm -rf "$d"
else
  out sshfs_mount "no sshfs"
fi
`;

const NORMAL = {
  sshfs: 'present',
  fuse: 'usable',
  userns: '0 1',
  userns_limit: 'above-0',
  sshfs_mount: 'hello-fuse',
};

/** Each variant: a normal host but for these facts. */
const LACKS: Record<Variant, Partial<typeof NORMAL>> = {
  nosshfs: { sshfs: 'missing', sshfs_mount: 'no sshfs' },
  // sshfs mounts here: fusermount3 (setuid root) mounts FUSE in the user namespace sshd runs in.
  nouserns: { userns: 'unshare: unshare failed: No space left on device', userns_limit: '0' },
  nofuse: { fuse: 'missing', sshfs_mount: "failed: fuse: device not found, try 'modprobe fuse' first" },
};

for (const v of NAMES) {
  test(`${v}: lacks ${Object.keys(LACKS[v]).join(', ')} and has the rest; an arm64 binary runs`, async () => {
    const r = await ssh(v, ['sh', '-s'], FACTS);
    assert.equal(r.code, 0, `facts script on ${v}: ${r.stdout}${r.stderr}`);
    const facts = Object.fromEntries(r.stdout.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    assert.deepEqual(facts, { ...NORMAL, ...LACKS[v] }, `on ${v}; stderr: ${r.stderr}`);
    const arch = await ssh(v, ['f=$(mktemp) && cat >"$f" && chmod +x "$f" && "$f"; s=$?; rm -f "$f"; exit $s'], fs.readFileSync(arm64Bin));
    assert.deepEqual([arch.code, arch.stdout, arch.stderr], [0, 'arm64\n', ''], `arm64 program on ${v}`);
  });
}

test('the variants leave the shared rootfs as it was (sshfs is still in the lower layer)', () => {
  assert.ok(fs.existsSync(path.join(testHost().rootfs, 'usr/bin/sshfs')));
});

interface Row { mark: string; detail: string; fix?: string }
const CHECKS = ['ssh', 'architecture', 'sshfs', '/dev/fuse', 'user namespaces', 'mode', 'tools', 'temp dir', 'login shell'];

/** gocpu doctor's table: check name -> row (see doctor.test.ts). */
function parseTable(out: string): Map<string, Row> {
  const rows = new Map<string, Row>();
  let last: Row | undefined;
  for (const line of out.split('\n').filter((l) => l !== '')) {
    const fix = /^\s+fix: (.*)$/.exec(line);
    if (fix && last) {
      last.fix = fix[1];
      continue;
    }
    const m = /^(ok {2}|warn|FAIL) {2}(.*)$/.exec(line);
    const check = m && CHECKS.find((c) => m[2].startsWith(`${c}  `));
    assert.ok(m && check, `unexpected line in gocpu doctor's output: ${JSON.stringify(line)}\n${out}`);
    last = { mark: m[1].trim(), detail: m[2].slice(check.length).trim() };
    rows.set(check, last);
  }
  return rows;
}

/** What doctor must show on each variant beyond "ok" rows: the missing piece, and the mode it leads to. */
const DOCTOR: Record<Variant, { code: number; rows: Record<string, { mark: string; detail: RegExp; fix?: RegExp }> }> = {
  nosshfs: {
    code: 0,
    rows: {
      sshfs: { mark: 'warn', detail: /^sshfs not found: runs use copy mode$/, fix: /^apt install sshfs on gocpu-nosshfs$/ },
      mode: { mark: 'ok', detail: /^copy \(auto: no sshfs\): the files a test reads are copied/ },
    },
  },
  nouserns: {
    code: 0,
    rows: {
      'user namespaces': { mark: 'warn', detail: /No space left on device.*: runs use copy mode without a namespace$/, fix: /^on gocpu-nouserns: sysctl -w user\.max_user_namespaces=\d+$/ },
      mode: { mark: 'warn', detail: /^copy without a namespace \(auto: no unprivileged user namespaces\): the test runs in a copy at another path/ },
    },
  },
  nofuse: {
    code: 0,
    rows: {
      '/dev/fuse': { mark: 'warn', detail: /^missing: runs use copy mode$/, fix: /^modprobe fuse on gocpu-nofuse/ },
      mode: { mark: 'ok', detail: /^copy \(auto: no usable \/dev\/fuse \(missing\)\)/ },
    },
  },
};

for (const v of NAMES) {
  test(`${v}: gocpu doctor names what is missing with its fix and the mode the host gets`, async () => {
    const h = host(v);
    const r = await run(path.join(binDir, 'gocpu'), ['doctor', '--target', 'linux/arm64', h.host], {
      cwd: tmp.dir,
      env: { ...process.env, ...h.env, XDG_CACHE_HOME: path.join(tmp.dir, `cache-doctor-${v}`) },
      timeoutMs: 60_000,
    });
    assert.ok(!r.timedOut, describeRun(r));
    assert.equal(r.code, DOCTOR[v].code, describeRun(r));
    const rows = parseTable(r.stdout);
    for (const [check, want] of Object.entries(DOCTOR[v].rows)) {
      const row = rows.get(check);
      assert.ok(row, `no "${check}" row: ${r.stdout}`);
      assert.equal(row.mark, want.mark, r.stdout);
      assert.match(row.detail, want.detail, r.stdout);
      if (want.fix) assert.match(row.fix ?? '', want.fix, r.stdout);
    }
    for (const [check, other] of rows) {
      if (check in DOCTOR[v].rows) continue;
      const expected = check === 'architecture' ? 'warn' : 'ok'; // x86_64 runs arm64 through qemu
      assert.equal(other.mark, expected, `"${check}" row on ${v}: ${r.stdout}`);
    }
    assert.deepEqual([...rows.keys()].sort(), ['/dev/fuse', 'architecture', 'mode', 'ssh', 'sshfs', 'temp dir', 'tools', 'user namespaces']);
  });
}

// How a plain `GOARCH=arm64 go test` through the wrapper ends on each variant, mode auto:
// it passes in copy mode, saying so in one line the first time (the choice is cached
// per host); without user namespaces the test runs in the copy itself, and the line
// says what that changes.
const AUTO_LINE: Record<Variant, RegExp> = {
  nosshfs: /^gocpu: remote: gocpu-nosshfs has no sshfs: running in copy mode \(/,
  nouserns: /^gocpu: remote: gocpu-nouserns has no unprivileged user namespaces: running in copy mode without a namespace \(the test runs in a copy at another path: os\.Getwd, runtime\.Caller paths and GOROOT differ/,
  nofuse: /^gocpu: remote: gocpu-nofuse has no usable \/dev\/fuse \(missing\): running in copy mode \(/,
};

for (const v of NAMES) {
  test(`${v}: GOARCH=arm64 go test in mode auto passes in copy mode, saying so once`, async () => {
    const cache = path.join(tmp.dir, `cache-run-${v}`);
    const once = async () => goTest({
      // -count=1: gocpu makes results cacheable, and a pass on any host (the same binary
      // and environment) would be replayed as "(cached)" without touching this one.
      args: ['-count=1', '-v', '-run', '^TestEcho$', '.'],
      cwd: probeModule,
      goarch: 'arm64',
      // An agent of its own, started with this environment: another agent may know the host.
      env: { ...host(v).env, XDG_CACHE_HOME: cache, GOCPU_MODE: '', GOCPU_AGENT_DIR: path.join(tmp.dir, `agent-${v}`) },
      timeoutMs: 120_000,
    });
    const r: RunResult = await once();
    assert.ok(!r.timedOut, describeRun(r));
    // -v: go shows a passing package's output only then.
    const ours = r.output.split('\n').filter((l) => l.startsWith('gocpu:'));
    assert.equal(ours.length, 1, `want one line of ours: ${describeRun(r)}`);
    assert.match(ours[0], AUTO_LINE[v]);
    assert.equal(r.code, 0, describeRun(r));
    assert.match(r.output, /^--- PASS: TestEcho /m, describeRun(r));
    const again = await once();
    assert.equal(again.code, 0, describeRun(again));
    assert.match(again.output, /^--- PASS: TestEcho /m, describeRun(again));
    assert.doesNotMatch(again.output, /^gocpu:/m, `the second run is quiet: ${describeRun(again)}`);
  });
}
