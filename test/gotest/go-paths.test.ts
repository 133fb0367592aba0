import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { goEnvFilePath, goPaths, isGoRoot } from '../../src/gotest/go-paths.js';

/** A fake Go installation at root/lib/go-1.19 and a Debian-like root/usr/bin/go -> ../lib/go-1.19/bin/go. */
function debianLike(): { root: string; usr: string; goroot: string } {
  const root = mkdtempSync(join(tmpdir(), 'gocpu-gopaths-'));
  const usr = join(root, 'usr');
  const goroot = join(usr, 'lib', 'go-1.19');
  mkdirSync(join(goroot, 'bin'), { recursive: true });
  mkdirSync(join(goroot, 'src', 'runtime'), { recursive: true });
  mkdirSync(join(goroot, 'pkg', 'tool', 'linux_amd64'), { recursive: true });
  writeFileSync(join(goroot, 'VERSION'), 'go1.19.8');
  writeFileSync(join(goroot, 'bin', 'go'), '#!/bin/sh\nexit 1\n');
  chmodSync(join(goroot, 'bin', 'go'), 0o755);
  mkdirSync(join(usr, 'bin'), { recursive: true });
  symlinkSync('../lib/go-1.19/bin/go', join(usr, 'bin', 'go'));
  return { root, usr, goroot };
}

test("a go on PATH that is a symlink (Debian's /usr/bin/go) gives the installation it points into, not /usr", (t) => {
  const d = debianLike();
  t.after(() => rmSync(d.root, { recursive: true, force: true }));
  const env = { HOME: d.root, PATH: `/nonexistent/bin:${d.usr}/bin:/usr/bin` };
  assert.equal(goPaths(env).goroot, d.goroot);
  assert.ok(isGoRoot(d.goroot));
  assert.ok(!isGoRoot(d.usr), 'the parent of usr/bin is no Go root');
});

test('GOROOT from the environment or the go env file wins over PATH', (t) => {
  const d = debianLike();
  t.after(() => rmSync(d.root, { recursive: true, force: true }));
  assert.equal(goPaths({ HOME: d.root, PATH: `${d.usr}/bin`, GOROOT: '/opt/go' }).goroot, '/opt/go');
  mkdirSync(join(d.root, '.config', 'go'), { recursive: true });
  writeFileSync(join(d.root, '.config', 'go', 'env'), 'GOROOT=/opt/go2\n');
  assert.equal(goPaths({ HOME: d.root, PATH: `${d.usr}/bin` }).goroot, '/opt/go2');
});

test('a go that is no Go root (a shim script) is asked, and its answer checked', (t) => {
  const d = debianLike();
  t.after(() => rmSync(d.root, { recursive: true, force: true }));
  const shims = join(d.root, 'shims', 'bin');
  mkdirSync(shims, { recursive: true });
  writeFileSync(join(shims, 'go'), `#!/bin/sh\n[ "$1 $2" = "env GOROOT" ] && echo '${d.goroot}'\n`);
  chmodSync(join(shims, 'go'), 0o755);
  assert.equal(goPaths({ HOME: d.root, PATH: shims }).goroot, d.goroot);

  const liar = join(d.root, 'liar', 'bin');
  mkdirSync(liar, { recursive: true });
  writeFileSync(join(liar, 'go'), '#!/bin/sh\necho /usr\n');
  chmodSync(join(liar, 'go'), 0o755);
  assert.equal(goPaths({ HOME: d.root, PATH: liar }).goroot, undefined, 'an answer that is no Go root is not taken');
  assert.equal(goPaths({ HOME: d.root, PATH: '/nonexistent' }).goroot, undefined);
});

test("go env -w's file: GOENV, else os.UserConfigDir()/go/env as go computes it on each system", () => {
  assert.equal(goEnvFilePath({ GOENV: '/x/env', HOME: '/h' }, 'darwin'), '/x/env');
  assert.equal(goEnvFilePath({ HOME: '/h', XDG_CONFIG_HOME: '/xdg' }, 'darwin'), '/h/Library/Application Support/go/env');
  assert.equal(goEnvFilePath({ HOME: '/h', XDG_CONFIG_HOME: '/xdg' }, 'linux'), '/xdg/go/env');
  assert.equal(goEnvFilePath({ HOME: '/h', XDG_CONFIG_HOME: 'rel' }, 'linux'), '/h/.config/go/env');
  assert.equal(goEnvFilePath({ HOME: '/h' }, 'freebsd'), '/h/.config/go/env');
});

test('GOENV=off: no file is read', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gocpu-goenv-'));
  try {
    mkdirSync(join(dir, 'go'));
    writeFileSync(join(dir, 'go', 'env'), 'GOMODCACHE=/from/file\n');
    const base = { HOME: '/h', XDG_CONFIG_HOME: dir, PATH: '' };
    assert.equal(goPaths(base).gomodcache, process.platform === 'darwin' ? '/h/go/pkg/mod' : '/from/file');
    assert.equal(goPaths({ ...base, GOENV: 'off' }).gomodcache, '/h/go/pkg/mod');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
