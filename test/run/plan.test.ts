import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GocpuError } from '../../src/errors.js';
import { normalizeExports, planRun, type PlanInput } from '../../src/run/plan.js';
import { debianGoroot } from '../gotest/fake-goroot.js';
import { tempDirUntilExit } from '../temp-dir.js';

test('exports: duplicates merge (writable wins), the view mounts only the outermost', () => {
  const { exports, viewExports } = normalizeExports([
    { path: '/m', writable: false },
    { path: '/m/pkg/', writable: true },
    { path: '/w/b001', writable: true },
    { path: '/m', writable: true },
    { path: '/mx', writable: false },
  ]);
  assert.deepEqual(exports, [
    { path: '/m', writable: true },
    { path: '/m/pkg', writable: true },
    { path: '/mx', writable: false },
    { path: '/w/b001', writable: true },
  ]);
  assert.deepEqual(viewExports, ['/m', '/mx', '/w/b001']);
  assert.throws(() => normalizeExports([{ path: '/', writable: false }]), /refusing to export \//);
});

test('no export may be, or contain, a system directory of the remote; below one is fine', () => {
  const forbidden = ['/', '/usr', '/usr/', '/usr/bin', '/usr/lib', '/usr/share', '/etc', '/lib', '/lib32', '/lib64', '/libx32', '/bin', '/sbin',
    '/proc', '/dev', '/sys', '/run', '/var', '/tmp', '//usr', '/usr/lib/..', '/tmp/x/../..'];
  for (const path of forbidden) {
    assert.throws(() => normalizeExports([{ path, writable: false, from: 'config exports' }]), (e: GocpuError) => {
      assert.equal(e.code, 'EXPORT_SYSTEM_DIR', path);
      assert.match(e.oneLine(), /^gocpu: local: refusing to export \/\S* \(config exports\): it would hide the remote's own \/\S* \(.*gocpu config file.*\)$/);
      return true;
    }, path);
  }
  for (const path of ['/usr/lib/go-1.19', '/usr/share/go-1.19/src', '/tmp/x', '/etc/x', '/var/tmp/m', '/usr/local', '/home', '/opt', '/srv/x', '/libfoo', '/usrx']) {
    assert.doesNotThrow(() => normalizeExports([{ path, writable: false }]), path);
  }
  assert.throws(() => normalizeExports([{ path: '/usr', writable: false, from: 'goroot' }]), (e: GocpuError) => /GOROOT/.test(e.hint ?? ''));
});

test('a go test call exports the binary dir rw, the module ro, and adds the test log', () => {
  const { root, mod, pkg, work } = layout();
  const plan = planRun({
    target: { goos: 'linux', goarch: 'arm64' },
    host: 'h',
    command: [join(work, 'pkg.test'), '-test.paniconexit0', '-test.timeout=10m0s', '-test.run=X'].map((s) => Buffer.from(s)),
    cwd: pkg,
    env: { HOME: root, PATH: '/nonexistent/bin' },
    rawEnv: [Buffer.from('HOME=/x'), Buffer.from('GODEBUG=a=1')],
    config: {},
  });
  assert.deepEqual(plan.exports.filter((e) => e.path.startsWith(root)), [
    { path: mod, writable: false },
    { path: work, writable: true },
  ]);
  assert.equal(plan.argv[1].toString(), `-test.testlogfile=${work}/testlog.txt`);
  assert.deepEqual(plan.argv.slice(2).map(String), ['-test.paniconexit0', '-test.timeout=10m0s', '-test.run=X']);
  assert.deepEqual(plan.env.map(([k]) => k.toString()), ['GODEBUG']);
  assert.match(plan.nonce, /^[0-9a-f]{24}$/);
});

/** A module and a go build dir under a fresh root, as go test lays them out. */
function layout(): { root: string; mod: string; pkg: string; work: string; bin: string } {
  const root = tempDirUntilExit('gocpu-plan-');
  const mod = join(root, 'mod');
  const pkg = join(mod, 'pkg');
  const work = join(root, 'work', 'b001');
  mkdirSync(pkg, { recursive: true });
  mkdirSync(work, { recursive: true });
  writeFileSync(join(mod, 'go.mod'), 'module m\n');
  writeFileSync(join(work, 'pkg.test'), '');
  return { root, mod, pkg, work, bin: join(work, 'pkg.test') };
}

function input(l: ReturnType<typeof layout>, args: string[], extra: Partial<PlanInput> = {}): PlanInput {
  return {
    host: 'h',
    command: [l.bin, ...args].map((s) => Buffer.from(s)),
    cwd: l.pkg,
    env: { HOME: l.root, PATH: '/nonexistent/bin' },
    rawEnv: [],
    config: {},
    ...extra,
  };
}

test('a replace to a sibling directory and a go.work use outside the workspace are exported read-only', () => {
  const l = layout();
  const sibling = join(l.root, 'shared');
  mkdirSync(sibling);
  writeFileSync(join(l.mod, 'go.mod'), 'module m\nreplace x => ../shared\n');
  assert.deepEqual(planRun(input(l, [])).exports.filter((e) => e.path.startsWith(l.root)), [
    { path: l.mod, writable: false },
    { path: sibling, writable: false },
    { path: l.work, writable: true },
  ]);
  // Workspace: go.work in mod/ uses mod/ itself and ../outer; writableModule does not reach outer.
  const outer = join(l.root, 'outer');
  mkdirSync(outer);
  writeFileSync(join(l.mod, 'go.mod'), 'module m\n');
  writeFileSync(join(l.mod, 'go.work'), 'go 1.19\nuse (\n\t.\n\t../outer\n)\n');
  assert.deepEqual(planRun(input(l, [], { config: { writableModule: true } })).exports.filter((e) => e.path.startsWith(l.root)), [
    { path: l.mod, writable: true },
    { path: outer, writable: false },
    { path: l.work, writable: true },
  ]);
});

test('profiles: the module stays read-only, the flags point into scratch in the binary dir, moves name the real places', () => {
  const l = layout();
  const plan = planRun(input(l, ['-test.paniconexit0', '-test.timeout=10m0s', `-test.outputdir=${l.mod}`, '-test.cpuprofile=cpu.out', '-test.trace=t.out']));
  assert.deepEqual(plan.exports.filter((e) => e.path.startsWith(l.root)), [
    { path: l.mod, writable: false },
    { path: l.work, writable: true },
  ]);
  const scratch = plan.outputs!.scratch;
  assert.match(scratch, new RegExp(`^${l.work}/gocpu-out\\.[0-9a-f]{12}$`));
  assert.deepEqual(plan.argv.map(String), [l.bin, `-test.testlogfile=${l.work}/testlog.txt`, '-test.paniconexit0', '-test.timeout=10m0s',
    `-test.outputdir=${scratch}`, `-test.cpuprofile=${scratch}/cpuprofile`, `-test.trace=${scratch}/trace`]);
  assert.deepEqual(plan.outputs!.moves, [
    { name: 'cpuprofile', kind: 'file', dest: join(l.mod, 'cpu.out') },
    { name: 'trace', kind: 'file', dest: join(l.mod, 't.out') },
  ]);
  assert.equal(planRun(input(l, ['-test.v'])).outputs, undefined, 'no scratch without a redirected output');
});

test('GOCOVERDIR outside the binary dir travels as a directory in scratch', () => {
  const l = layout();
  const cov = join(l.root, 'cov');
  mkdirSync(cov);
  const plan = planRun(input(l, [], { rawEnv: [Buffer.from(`GOCOVERDIR=${cov}`)] }));
  const scratch = plan.outputs!.scratch;
  assert.deepEqual(plan.env.map(([k, v]) => `${k}=${v}`), [`GOCOVERDIR=${scratch}/GOCOVERDIR`]);
  assert.deepEqual(plan.outputs!.moves, [{ name: 'GOCOVERDIR', kind: 'cover-dir', dest: cov }]);
  assert.ok(!plan.exports.some((e) => e.path === cov), 'the cover directory itself is not exported');
});

test('every source of a forbidden export is refused while planning: cwd, binary dir, GOROOT, config', () => {
  const l = layout();
  const fails = (i: PlanInput, from: RegExp) => assert.throws(() => planRun(i), (e: GocpuError) => e.code === 'EXPORT_SYSTEM_DIR' && from.test(e.message));
  fails(input(l, [], { config: { exports: [{ path: '/etc' }] } }), /\/etc \(config exports\)/);
  fails(input(l, [], { env: { HOME: l.root, PATH: '/nonexistent', GOROOT: '/usr' } }), /\/usr \(goroot\)/);
  fails(input(l, [], { cwd: '/var' }), /\/var \(cwd\)/);
  fails({ ...input(l, []), command: [Buffer.from('/tmp/../bin/true')] }, /\/bin \(binary\)/);
});

test('a newline in the cwd or an exported path is a GocpuError with a hint, raised while planning', () => {
  const l = layout();
  const nl = join(l.root, 'a\nb');
  mkdirSync(nl);
  for (const i of [input(l, [], { cwd: nl }), input(l, [], { config: { exports: [{ path: nl }] } })]) {
    assert.throws(() => planRun(i), (e: GocpuError) => e instanceof GocpuError && e.code === 'PATH_NEWLINE' && e.hint !== undefined
      && /newline/.test(e.oneLine()) && !e.oneLine().includes('\n'));
  }
});

test("Debian's GOROOT: the targets of its links are exported read-only, never a system dir; so is a link to the root", () => {
  const l = layout();
  const d = debianGoroot();
  // A distribution could link into a system dir of the remote: that link stays unexported.
  symlinkSync('/usr/share', join(d.goroot, 'share'));
  symlinkSync('/usr/lib', join(d.goroot, 'pkg', 'lib'));
  const share = ['api', 'misc', 'pkg/include', 'src', 'test'].map((x) => ({ path: join(d.share, x), writable: false }));
  const plan = planRun(input(l, [], { env: { HOME: l.root, PATH: '/nonexistent', GOROOT: d.goroot } }));
  assert.deepEqual(plan.exports.filter((e) => e.path.startsWith(d.root)), [{ path: d.goroot, writable: false }, ...share]);
  assert.ok(!plan.exports.some((e) => e.path === '/usr/share' || e.path === '/usr/lib'), JSON.stringify(plan.exports));

  const viaLink = planRun(input(l, [], { env: { HOME: l.root, PATH: '/nonexistent', GOROOT: d.link } }));
  assert.deepEqual(viaLink.exports.filter((e) => e.path.startsWith(d.root)),
    [{ path: d.link, writable: false }, { path: d.goroot, writable: false }, ...share]);
});

test('a package in GOROOT (go test strings runs us in its real dir, below std\'s go.mod) is exported read-only, writableModule or not', () => {
  const d = debianGoroot();
  const l = layout();
  const pkg = join(d.share, 'src', 'strings');
  for (const writableModule of [false, true]) {
    const plan = planRun(input(l, [], { cwd: pkg, env: { HOME: l.root, PATH: '/nonexistent', GOROOT: d.goroot }, config: { writableModule } }));
    assert.deepEqual(plan.exports.find((e) => e.path === join(d.share, 'src')), { path: join(d.share, 'src'), writable: false }, `writableModule ${writableModule}`);
    assert.ok(!plan.exports.some((e) => e.writable && e.path.startsWith(d.root)), JSON.stringify(plan.exports));
    assert.equal(plan.cwd, pkg);
  }
  // An ordinary module still follows writableModule.
  assert.deepEqual(planRun(input(l, [], { config: { writableModule: true } })).exports.find((e) => e.path === l.mod), { path: l.mod, writable: true });
});

test('the plan carries the remote root of its host (config, or GOCPU_REMOTE_ROOT), none for another host', () => {
  const l = layout();
  const config = { remoteRoot: { h: '/run/schroot/mount/s/' } };
  assert.equal(planRun(input(l, [], { config })).remoteRoot, '/run/schroot/mount/s');
  assert.equal(planRun(input(l, [], { config, host: 'other' })).remoteRoot, undefined);
  assert.equal(planRun(input(l, [], { config, env: { HOME: l.root, PATH: '/nonexistent/bin', GOCPU_REMOTE_ROOT: '/' } })).remoteRoot, undefined);
  assert.throws(() => planRun(input(l, [], { config: { remoteRoot: { h: 'rel' } } })), (e: GocpuError) => e.code === 'REMOTE_ROOT_PATH');
});

test('gocpu -host=H: no command is allowed (the login shell); -ro keeps the tree read-only; -export and -export-rw add paths', () => {
  const l = layout();
  const extra = join(l.root, 'data:set');
  const base = { host: 'h', command: [], cwd: l.pkg, env: { HOME: l.root, PATH: '/nonexistent/bin' }, rawEnv: [], config: {}, generic: true };
  const rw = planRun(base);
  assert.deepEqual(rw.argv, []);
  assert.deepEqual(rw.exports.filter((e) => e.path.startsWith(l.root)), [{ path: l.mod, writable: true }]);
  const ro = planRun({ ...base, readOnly: true, extraExports: [{ path: extra, writable: false }, { path: '../../work', writable: true }] });
  assert.deepEqual(ro.exports.filter((e) => e.path.startsWith(l.root)), [
    { path: extra, writable: false },
    { path: l.mod, writable: false },
    { path: join(l.root, 'work'), writable: true },
  ]);
  assert.throws(() => planRun({ ...base, generic: false }), /no program to run/);
});

test('asUser: the test runs as the remote user exactly when we are not root (issue 10)', () => {
  const l = layout();
  assert.equal(planRun(input(l, [])).asUser, process.getuid!() !== 0);
});
