import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluate, formatTable, parseReport, type Row } from '../../src/doctor/checks.js';

// What doctor.sh printed on the test host (x86_64, arm64 through qemu binfmt).
const HEALTHY = `uname_m=x86_64
binfmt=qemu-aarch64
binfmt_visible=yes
login_shell=/bin/bash
tool_unshare=/usr/bin/unshare
tool_nsenter=/usr/bin/nsenter
tool_mount=/usr/bin/mount
tool_mountpoint=/usr/bin/mountpoint
tool_setsid=/usr/bin/setsid
tool_chroot=/usr/sbin/chroot
tool_dd=/usr/bin/dd
tool_mkfifo=/usr/bin/mkfifo
tool_sleep=/usr/bin/sleep
tool_fusermount3=/usr/bin/fusermount3
tool_fusermount=/usr/bin/fusermount
setsid_fork=yes
unshare_map_user=yes
sshfs=/usr/bin/sshfs
sshfs_version=3.7.3
sshfs_options=passive,max_read=65536,no_contain_symlinks
fuse=ok
sysctl_unprivileged_userns_clone=absent
sysctl_max_user_namespaces=96364
sysctl_apparmor_restrict_unprivileged_userns=absent
userns=ok
tmpdir=/tmp
tmp_free_kb=12341804
tmp_writable=yes
`;

const H = 'pi@rpi4';

/** The rows for HEALTHY with some keys replaced. */
function rows(changes: Record<string, string> = {}, goarch: 'arm64' | 'riscv64' | 'amd64' | undefined = 'amd64', mode: 'auto' | 'mount' | 'copy' = 'auto'): Row[] {
  const r = parseReport(HEALTHY);
  for (const [k, v] of Object.entries(changes)) r.set(k, v);
  return evaluate(r, H, goarch, 'sshfs', { setting: mode, forced: mode !== 'auto' });
}
const MOUNT = (changes: Record<string, string>, goarch: 'arm64' | 'riscv64' | 'amd64' = 'amd64') => rows(changes, goarch, 'mount');

function row(rs: Row[], check: string): Row {
  const r = rs.find((x) => x.check === check);
  assert.ok(r, `no ${check} row in ${JSON.stringify(rs)}`);
  return r;
}

const failed = (rs: Row[]) => rs.filter((r) => r.verdict === 'fail').map((r) => r.check);

test('parseReport: KEY=VALUE lines, values may hold "=", other lines are ignored', () => {
  const m = parseReport('a=1\nuserns=failed: x=y\n\nnoise\n=nokey\nempty=\n');
  assert.equal(m.get('a'), '1');
  assert.equal(m.get('userns'), 'failed: x=y');
  assert.equal(m.get('empty'), '');
  assert.equal(m.size, 3);
});

test('a healthy native host: every row ok, no fix', () => {
  const rs = rows();
  assert.deepEqual(failed(rs), []);
  assert.ok(rs.every((r) => r.verdict === 'ok' && r.fix === undefined), JSON.stringify(rs));
  assert.deepEqual(rs.map((r) => r.check), ['architecture', 'sshfs', '/dev/fuse', 'user namespaces', 'mode', 'tools', 'temp dir']);
  assert.equal(row(rs, 'mode').detail, 'mount (auto: sshfs, FUSE and user namespaces work)');
});

test('no sshfs: a warning with apt install sshfs, and copy mode; a failure when mount mode is forced', () => {
  for (const v of ['missing', '']) {
    const rs = rows({ sshfs: v });
    const r = row(rs, 'sshfs');
    assert.equal(r.verdict, 'warn');
    assert.equal(r.detail, 'sshfs not found: runs use copy mode');
    assert.equal(r.fix, `apt install sshfs on ${H}`);
    assert.deepEqual(failed(rs), []);
    assert.match(row(rs, 'mode').detail, /^copy \(auto: no sshfs\): the files a test reads are copied/);
    assert.equal(row(MOUNT({ sshfs: v }), 'sshfs').verdict, 'fail');
    assert.equal(row(MOUNT({ sshfs: v }), 'mode').detail, 'mount (set by GOCPU_MODE or "mode")');
  }
});

test('copy forced on a healthy host: the mode row says so, every row ok', () => {
  const rs = rows({}, 'amd64', 'copy');
  assert.deepEqual(failed(rs), []);
  assert.match(row(rs, 'mode').detail, /^copy \(set by GOCPU_MODE or "mode"\)/);
});

test('old sshfs (before 3.7.1, no -o passive): still ok, says it uses -o slave', () => {
  for (const v of ['3.7.0', '2.10', '3.6.9']) {
    const r = row(rows({ sshfs_version: v }), 'sshfs');
    assert.equal(r.verdict, 'ok', v);
    assert.match(r.detail, /old: uses -o slave/, v);
  }
  for (const v of ['3.7.1', '3.7.3', '3.10.0', '4.0']) assert.doesNotMatch(row(rows({ sshfs_version: v }), 'sshfs').detail, /old/, v);
});

test('/dev/fuse missing or denied: a warning (copy mode), a failure in mount mode, each with its own fix', () => {
  assert.equal(row(rows({ fuse: 'missing' }), '/dev/fuse').verdict, 'warn');
  assert.match(row(rows({ fuse: 'missing' }), 'mode').detail, /^copy \(auto: no usable \/dev\/fuse \(missing\)\)/);
  const missing = row(MOUNT({ fuse: 'missing' }), '/dev/fuse');
  assert.equal(missing.verdict, 'fail');
  assert.match(missing.fix!, /modprobe fuse/);
  const denied = row(MOUNT({ fuse: 'denied (mode 600, owner root:root)' }), '/dev/fuse');
  assert.equal(denied.verdict, 'fail');
  assert.equal(denied.detail, 'denied (mode 600, owner root:root)');
  assert.match(denied.fix!, /chmod 0666 \/dev\/fuse/);
});

test('user namespaces disabled: the fix names the sysctl that is in the way', () => {
  const fail = { userns: 'failed: unshare: unshare failed: Operation not permitted' };
  const cases: [Record<string, string>, RegExp][] = [
    [{ sysctl_unprivileged_userns_clone: '0' }, /kernel\.unprivileged_userns_clone=1/],
    [{ sysctl_apparmor_restrict_unprivileged_userns: '1' }, /kernel\.apparmor_restrict_unprivileged_userns=0/],
    [{ sysctl_max_user_namespaces: '0' }, /user\.max_user_namespaces=10000/],
    [{}, /check .*kernel and security modules: failed: unshare/],
  ];
  for (const [sysctls, fix] of cases) {
    const r = row(MOUNT({ ...fail, ...sysctls }), 'user namespaces');
    assert.equal(r.verdict, 'fail', JSON.stringify(sysctls));
    assert.equal(r.detail, fail.userns);
    const auto = rows({ ...fail, ...sysctls });
    assert.equal(row(auto, 'user namespaces').verdict, 'warn');
    assert.equal(row(auto, 'user namespaces').fix, r.fix);
    assert.equal(row(auto, 'mode').verdict, 'warn');
    assert.match(row(auto, 'mode').detail, /^copy without a namespace \(auto: no unprivileged user namespaces\): the test runs in a copy at another path/);
    assert.match(r.fix!, fix, JSON.stringify(sysctls));
    assert.ok(r.fix!.includes(H), r.fix);
  }
  // unprivileged_userns_clone=0 is the first thing to fix, whatever else is set.
  const both = row(rows({ ...fail, sysctl_unprivileged_userns_clone: '0', sysctl_max_user_namespaces: '0' }), 'user namespaces');
  assert.match(both.fix!, /unprivileged_userns_clone=1/);
});

test('tools missing: fail, listing each; fusermount counts only when both versions are missing', () => {
  const r = row(rows({ tool_nsenter: 'missing', tool_mkfifo: 'missing' }), 'tools');
  assert.equal(r.verdict, 'fail');
  assert.equal(r.detail, 'missing: nsenter, mkfifo');
  assert.match(r.fix!, /^apt install util-linux coreutils on /);
  assert.equal(row(rows({ tool_fusermount3: 'missing' }), 'tools').verdict, 'ok');
  assert.equal(row(rows({ tool_fusermount3: 'missing', tool_fusermount: 'missing' }), 'tools').detail, 'missing: fusermount3');
});

test('temp dir: not writable or under 10 MiB free fails', () => {
  const ro = row(rows({ tmp_writable: 'no' }), 'temp dir');
  assert.equal(ro.verdict, 'fail');
  assert.match(ro.fix!, /TMPDIR/);
  const full = row(rows({ tmp_free_kb: '5000' }), 'temp dir');
  assert.equal(full.verdict, 'fail');
  assert.equal(full.detail, '/tmp: 5000 KiB free');
  assert.match(full.fix!, /free space in \/tmp/);
  assert.equal(row(rows({ tmp_free_kb: String(10 * 1024) }), 'temp dir').verdict, 'ok');
});

test('architecture: native ok, emulated by binfmt warn, no emulation fail, invisible binfmt warn', () => {
  assert.equal(row(rows({ uname_m: 'aarch64' }, 'arm64'), 'architecture').verdict, 'ok');
  const emulated = row(rows({}, 'arm64'), 'architecture');
  assert.equal(emulated.verdict, 'warn');
  assert.match(emulated.detail, /emulated \(binfmt qemu-aarch64\)/);
  const wrong = row(rows({}, 'riscv64'), 'architecture');
  assert.equal(wrong.verdict, 'fail');
  assert.equal(wrong.detail, `${H} is x86_64 but the target is linux/riscv64`);
  assert.match(wrong.fix!, /GOCPU_HOST_LINUX_RISCV64/);
  assert.equal(row(rows({ binfmt: 'qemu-aarch64 qemu-riscv64' }, 'riscv64'), 'architecture').verdict, 'warn');
  assert.equal(row(rows({ binfmt: '', binfmt_visible: 'no' }, 'riscv64'), 'architecture').verdict, 'warn');
  // A disabled entry is not listed by doctor.sh: no binfmt means fail.
  assert.equal(row(rows({ binfmt: '' }, 'arm64'), 'architecture').verdict, 'fail');
  assert.equal(row(rows({}, undefined), 'architecture').verdict, 'ok');
});

test('a csh-family login shell fails; POSIX shells raise no row', () => {
  for (const sh of ['/bin/csh', '/usr/bin/tcsh', '/usr/bin/fish']) {
    const r = row(rows({ login_shell: sh }), 'login shell');
    assert.equal(r.verdict, 'fail', sh);
    assert.match(r.fix!, /POSIX-like login shell/);
  }
  for (const sh of ['/bin/bash', '/bin/sh', '/usr/bin/zsh', '/bin/dash', '/bin/ksh']) {
    assert.equal(rows({ login_shell: sh }).some((r) => r.check === 'login shell'), false, sh);
  }
});

test('formatTable: aligned marks and names, a fix line under each failing row', () => {
  const table = formatTable([
    { check: 'ssh', verdict: 'ok', detail: 'connected' },
    { check: 'architecture', verdict: 'warn', detail: 'emulated', fix: 'use a native host' },
    { check: 'sshfs', verdict: 'fail', detail: 'not found', fix: `apt install sshfs on ${H}` },
  ]);
  assert.equal(table, [
    'ok    ssh           connected',
    'warn  architecture  emulated',
    '                    fix: use a native host',
    'FAIL  sshfs         not found',
    `                    fix: apt install sshfs on ${H}`,
  ].join('\n'));
});

test('every failing row has a fix', () => {
  const broken = MOUNT({
    sshfs: 'missing', fuse: 'missing', userns: 'failed: x', tool_dd: 'missing', tmp_writable: 'no', login_shell: '/bin/tcsh',
  }, 'riscv64');
  assert.deepEqual(failed(broken).sort(), ['/dev/fuse', 'architecture', 'login shell', 'mode', 'sshfs', 'temp dir', 'tools', 'user namespaces'].sort());
  for (const r of broken.filter((x) => x.verdict === 'fail')) assert.ok(r.fix && r.fix.length > 0, r.check);
});

test('every tool of the contract list is required; each missing one names its package', () => {
  for (const [tool, pkg] of [['setsid', 'util-linux'], ['dd', 'coreutils'], ['mount', 'mount'], ['sleep', 'coreutils']]) {
    const r = row(rows({ [`tool_${tool}`]: 'missing' }), 'tools');
    assert.equal(r.verdict, 'fail', tool);
    assert.equal(r.detail, `missing: ${tool}`);
    assert.equal(r.fix, `apt install ${pkg} on ${H}`);
  }
  // A report without a tool's line (an older doctor.sh) counts it as missing, not as present.
  const r = parseReport(HEALTHY);
  r.delete('tool_sleep');
  assert.equal(row(evaluate(r, H, 'amd64'), 'tools').detail, 'missing: sleep');
});

test('setsid without --fork/--wait: a warning about inexact signal ends, not a failure', () => {
  const rs = rows({ setsid_fork: 'no' });
  assert.deepEqual(failed(rs), []);
  const r = row(rs, 'exact signals');
  assert.equal(r.verdict, 'warn');
  assert.match(r.detail, /old util-linux/);
});

test('unshare without --map-user/--root: a warning that a non-root user\'s test runs as root of its namespace; nothing when it has them', () => {
  assert.equal(rows().find((r) => r.check === 'test uid'), undefined);
  const rs = rows({ unshare_map_user: 'no' });
  assert.deepEqual(failed(rs), []);
  const r = row(rs, 'test uid');
  assert.equal(r.verdict, 'warn');
  assert.match(r.detail, /util-linux before 2\.38/);
  assert.match(r.fix!, /upgrade util-linux on pi@rpi4/);
  assert.equal(rows({ unshare_map_user: 'no', userns: 'failed: x' }).find((x) => x.check === 'test uid'), undefined, 'no namespace, no such row');
});

test('the sshfs row names the configured program and the options a run passes', () => {
  assert.match(row(rows(), 'sshfs').detail, /-o passive,max_read=65536,no_contain_symlinks$/);
  const r = row(evaluate(new Map([...parseReport(HEALTHY), ['sshfs', 'missing']]), H, 'amd64', '/opt/sshfs'), 'sshfs');
  assert.equal(r.detail, '/opt/sshfs not found: runs use copy mode');
  assert.match(r.fix!, /remoteSshfs \/ GOCPU_REMOTE_SSHFS \("\/opt\/sshfs"\)/);
});

test('a remote root: a row only when one is set; there and its /bin/sh runs, or one fix per way it fails', () => {
  assert.equal(rows().some((r) => r.check === 'remote root'), false);
  const root = '/run/schroot/mount/s';
  const ok = row(rows({ remote_root: root, remote_root_sh: 'ok' }), 'remote root');
  assert.deepEqual([ok.verdict, ok.detail], ['ok', `${root}: its /bin/sh runs`]);
  const cases: [string, 'fail' | 'warn', RegExp, RegExp | undefined][] = [
    ['nodir', 'fail', /not a directory on pi@rpi4 \(or a symlink is on its way\)/, /schroot -b -c CHROOT on pi@rpi4/],
    ['missing', 'fail', /has no \/bin\/sh/, /top of the chroot/],
    ['unchecked', 'warn', /not started \(no user namespaces\)/, undefined],
    ['failed: chroot: failed to run command \'/bin/sh\': Exec format error', 'fail', /does not start: chroot: .*Exec format error/, /own architecture/],
  ];
  for (const [sh, verdict, detail, fix] of cases) {
    const rs = rows({ remote_root: root, remote_root_sh: sh });
    const r = row(rs, 'remote root');
    assert.equal(r.verdict, verdict, sh);
    assert.match(r.detail, detail, sh);
    if (fix) assert.match(r.fix ?? '', fix, sh);
    assert.deepEqual(failed(rs), verdict === 'fail' ? ['remote root'] : [], sh);
  }
});
