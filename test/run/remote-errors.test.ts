import { test } from 'node:test';
import assert from 'node:assert/strict';
import { explainRemoteFailure } from '../../src/run/remote-errors.js';

const base = { host: 'pi', errors: [], other: [] };
const err = (detail: string) => ({ word: 'error', detail });

test('each known remote failure names its cause and fix, side remote', () => {
  const cases: [Parameters<typeof explainRemoteFailure>[0], string, RegExp][] = [
    [{ ...base, errors: [err('no-sshfs sshfs')] }, 'REMOTE_NO_SSHFS', /pi has no sshfs.*apt install sshfs on pi/],
    [{ ...base, errors: [err('no-fuse /dev/fuse is missing')] }, 'REMOTE_NO_FUSE', /modprobe fuse/],
    [{ ...base, other: ['unshare: unshare failed: Operation not permitted'] }, 'REMOTE_NO_USERNS', /unprivileged user namespaces.*sysctl/],
    [{ ...base, other: ['setsid: failed to execute unshare: No such file or directory'] }, 'REMOTE_MISSING_TOOL', /lacks unshare.*util-linux/],
    [{ ...base, other: ['sh: 1: exec: nsenter: not found'] }, 'REMOTE_MISSING_TOOL', /lacks nsenter/],
    [{ ...base, errors: [err('sshfs-exit 1')], other: ['fuse: failed to open /dev/fuse: Permission denied'] }, 'REMOTE_FUSE_DENIED', /mode 0666/],
    [{ ...base, errors: [err('arch x86_64')], target: { goos: 'linux', goarch: 'arm64' } }, 'REMOTE_ARCH', /pi is x86_64 but the binary is linux\/arm64/],
    [{ ...base, errors: [err('mount-timeout sshfs did not mount within 30 s')] }, 'REMOTE_MOUNT', /reverse sshfs mount on pi failed/],
    [{ ...base, errors: [err('root /run/schroot/mount/a b')] }, 'REMOTE_ROOT', /the remote root \/run\/schroot\/mount\/a b is not a directory on pi .*remoteRoot.*GOCPU_REMOTE_ROOT/],
    [{ ...base, errors: [err('root-sh /srv')] }, 'REMOTE_ROOT_SH', /the remote root \/srv on pi has no \/bin\/sh \(point it at the top of a chroot/],
    [{ ...base, other: ['something odd'], exitCode: 2 }, 'REMOTE_SETUP', /setup on pi failed: something odd/],
  ];
  for (const [f, code, re] of cases) {
    const e = explainRemoteFailure(f);
    assert.equal(e.code, code, JSON.stringify(f));
    assert.equal(e.side, 'remote');
    assert.match(e.oneLine(), re);
    assert.equal(e.oneLine().includes('\n'), false);
  }
});

test('a missing tool is named with the Debian package of the contract list', () => {
  const cases: [string, RegExp][] = [
    ['sh: 1: mkfifo: not found', /lacks mkfifo \(apt install coreutils on pi\)/],
    ['bash: line 1: dd: command not found', /lacks dd \(apt install coreutils on pi\)/],
    ['sh: 1: mountpoint: not found', /lacks mountpoint \(apt install util-linux on pi\)/],
    ['sh: 1: fusermount3: not found', /lacks fusermount3 \(apt install fuse3 on pi\)/],
    ['setsid: failed to execute nsenter: No such file or directory', /lacks nsenter \(apt install util-linux on pi\)/],
  ];
  for (const [line, re] of cases) {
    const e = explainRemoteFailure({ ...base, other: [line] });
    assert.equal(e.code, 'REMOTE_MISSING_TOOL', line);
    assert.match(e.oneLine(), re);
  }
  // A mount that fails for a missing path is not a missing `mount`.
  const e = explainRemoteFailure({ ...base, errors: [err('view could not build the namespace')], other: ['mount: /x: special device /y does not exist'] });
  assert.equal(e.code, 'REMOTE_VIEW');
});
