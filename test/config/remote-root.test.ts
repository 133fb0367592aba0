import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/config-file.js';
import { checkRemoteRoot, remoteRootFor } from '../../src/config/remote-root.js';
import { GocpuError } from '../../src/errors.js';

const config = { remoteRoot: { porter: '/run/schroot/mount/gocpu', 'me@other': '/srv/chroot/' } };

test('the config names a remote root per host, keyed as gocpu names the host', () => {
  assert.equal(remoteRootFor('porter', {}, config), '/run/schroot/mount/gocpu');
  assert.equal(remoteRootFor('me@other', {}, config), '/srv/chroot');
  assert.equal(remoteRootFor('other', {}, config), undefined, 'no match by a part of the name');
  assert.equal(remoteRootFor('porter', {}, {}), undefined);
});

test('GOCPU_REMOTE_ROOT overrides the config for the host in use; "/" means the remote\'s own root, empty means unset', () => {
  assert.equal(remoteRootFor('porter', { GOCPU_REMOTE_ROOT: '/x/y' }, config), '/x/y');
  assert.equal(remoteRootFor('anyhost', { GOCPU_REMOTE_ROOT: '/x/y' }, {}), '/x/y');
  assert.equal(remoteRootFor('porter', { GOCPU_REMOTE_ROOT: '/' }, config), undefined);
  assert.equal(remoteRootFor('porter', { GOCPU_REMOTE_ROOT: '' }, config), '/run/schroot/mount/gocpu');
});

test('a remote root is normalized, and refused unless absolute, without "." or ".." or a newline', () => {
  assert.equal(checkRemoteRoot('//a//b/', 'x'), '/a/b');
  assert.equal(checkRemoteRoot('///', 'x'), undefined);
  assert.equal(checkRemoteRoot('/a b/c\'d', 'x'), "/a b/c'd");
  for (const [p, why] of [['a/b', /not an absolute path/], ['/a/../b', /"\." or "\.\."/], ['/a/./b', /"\." or "\.\."/], ['/a\nb', /newline/]] as const) {
    assert.throws(() => remoteRootFor('porter', { GOCPU_REMOTE_ROOT: p }, {}), (e: unknown) => {
      assert.ok(e instanceof GocpuError);
      assert.equal(e.code, 'REMOTE_ROOT_PATH');
      assert.equal(e.side, 'local');
      assert.match(e.oneLine(), why);
      assert.match(e.oneLine(), /GOCPU_REMOTE_ROOT/);
      return true;
    }, p);
  }
  assert.throws(() => remoteRootFor('porter', {}, { remoteRoot: { porter: 'rel' } }), /"remoteRoot" of porter in the gocpu config "rel" is not an absolute path/);
});

test('the config file: "remoteRoot" must map host names to strings', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gocpu-rr-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'config.json');
  const load = (v: unknown) => {
    writeFileSync(file, JSON.stringify({ remoteRoot: v }));
    return loadConfig({ GOCPU_CONFIG: file });
  };
  assert.deepEqual(load({ porter: '/r' }).remoteRoot, { porter: '/r' });
  for (const bad of ['/r', ['/r'], { porter: 1 }, null]) {
    assert.throws(() => load(bad), (e: unknown) => e instanceof GocpuError && e.code === 'CONFIG_PARSE' && /"remoteRoot" maps host names/.test(e.message), JSON.stringify(bad));
  }
});
