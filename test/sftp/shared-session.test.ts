/**
 * Issue 8: the agent serves every run on a host from one SFTP session, each run in its
 * own subtree (src/sftp/spaces.ts). The security tests of issue 7 and the server's own
 * tests run again here with their table as one run's subtree, beside a decoy run that
 * exports `/`: every confinement they check must hold inside a shared session too.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ExportTable } from '../../src/sftp/exports.js';
import { RunSpaces } from '../../src/sftp/spaces.js';
import { startSession } from './fixture.js';
import { code, FX, PF, str } from './raw-client.js';
import { makeHostileTree } from './hostile-fixture.js';

process.env.GOCPU_TEST_SFTP_SPACES = 'shared';
await import('./hostile-paths.test.js');
await import('./hostile-races.test.js');
await import('./server.test.js');
await import('./server-writes.test.js');

test('shared session: runs see only their own subtree; `/` lists nothing; a removed run is gone', async () => {
  const t = await makeHostileTree();
  const spaces = new RunSpaces(() => undefined);
  const a = 'aaaaaaaaaaaaaaaaaaaaaaaa';
  const b = 'bbbbbbbbbbbbbbbbbbbbbbbb';
  spaces.add(a, new ExportTable([{ path: t.w, writable: true }]), [t.w]);
  spaces.add(b, new ExportTable([{ path: t.outside, writable: false }]));
  const s = await startSession(spaces);
  const c = s.client;
  c.prefix = '';
  try {
    assert.deepEqual([...(await c.list('/')).keys()].filter((n) => n !== '.' && n !== '..'), [], '`/` names no run');
    assert.equal((await c.open(`/${b}${t.outside}/victim`, PF.READ)).type, 'handle', 'run b reads its own export');
    assert.equal(await code(c.open(`/${a}${t.outside}/victim`, PF.READ)), FX.NO_SUCH_FILE, 'run a does not see b\'s export');
    assert.equal(await code(c.open(`${t.outside}/victim`, PF.READ)), FX.NO_SUCH_FILE, 'nothing outside a run');
    assert.equal(await code(c.symlink(`/${b}${t.outside}/victim`, `/${a}${t.w}/to-b`)), FX.OK);
    assert.equal(await code(c.open(`/${a}${t.w}/to-b`, PF.READ)), FX.NO_SUCH_FILE, 'a link naming b\'s subtree resolves inside a');
    assert.equal(await code(c.symlink('/', `/${a}${t.w}/root`)), FX.OK);
    assert.equal(await code(c.open(`/${a}${t.w}/root/${b}${t.outside}/victim`, PF.READ)), FX.NO_SUCH_FILE, '`/` in a link is a\'s root');
    assert.equal(await code(c.rename(`/${a}${t.w}/to-b`, `/${b}${t.outside}/moved`)), FX.PERMISSION_DENIED, 'no rename across runs');
    // Even where both ends are writable to their own run: a third run exporting a's own tree writable.
    const w2 = 'cccccccccccccccccccccccc';
    spaces.add(w2, new ExportTable([{ path: t.w, writable: true }]));
    assert.equal(await code(c.rename(`/${a}${t.w}/to-b`, `/${w2}${t.w}/moved`)), FX.PERMISSION_DENIED, 'no rename between two writable runs');
    assert.equal(await code(c.extended('hardlink@openssh.com', str(`/${a}${t.w}/to-b`), str(`/${w2}${t.w}/linked`))), FX.PERMISSION_DENIED, 'no hard link between runs');
    assert.equal((await c.lstat(`/${a}${t.w}/to-b`)).type, 'attrs', 'the link stayed where it was');
    await spaces.remove(w2);
    // @0 names a's first view export, for the view's binds; not in a link's text.
    assert.equal((await c.open(`/${a}/@0/to-b`, PF.READ)).type, 'status', 'the alias leads to a\'s export (a dangling link there)');
    assert.equal(await code(c.mkdir(`/${a}/@0/made`)), FX.OK, 'the alias is the export, writable as it is');
    assert.equal((await c.stat(`/${a}${t.w}/made`)).type, 'attrs');
    assert.equal(await code(c.open(`/${b}/@0/victim`, PF.READ)), FX.NO_SUCH_FILE, 'b was added without aliases');
    assert.equal(await code(c.symlink('/@0/made', `/${a}${t.w}/via-alias`)), FX.OK);
    assert.equal(await code(c.stat(`/${a}${t.w}/via-alias`)), FX.NO_SUCH_FILE, 'a link\'s text knows no alias');
    // `/@i/<run>` is `/<run>/@i`: each alias in a directory of its own (lookups in one
    // directory are serialized by the remote's kernel). `/@i` is empty, made of nothing.
    assert.equal((await c.lstat('/@0')).type, 'attrs', '/@0 is a directory');
    assert.deepEqual([...(await c.list('/@0')).keys()].filter((n) => n !== '.' && n !== '..'), [], '/@0 names no run');
    assert.equal((await c.stat(`/@0/${a}/made`)).type, 'attrs', 'the flipped alias leads to a\'s export');
    assert.equal((await c.open(`/@0/${a}/to-b`, PF.READ)).type, 'status', 'the same dangling link as through /a/@0');
    assert.equal(await code(c.stat(`/@1/${a}`)), FX.NO_SUCH_FILE, 'a has one view export');
    assert.equal(await code(c.open(`/@0/${b}/victim`, PF.READ)), FX.NO_SUCH_FILE, 'b was added without aliases');
    assert.equal((await c.stat(`/@0/${a}/../../${b}${t.outside}/victim`)).type, 'attrs', 'normalized first: b\'s own path, as any client could name it');
    assert.equal(await code(c.symlink(`/@0/${a}/made`, `/${a}${t.w}/via-flipped`)), FX.OK);
    assert.equal(await code(c.stat(`/${a}${t.w}/via-flipped`)), FX.NO_SUCH_FILE, 'a link\'s text knows no flipped alias either');
    assert.notEqual(await code(c.mkdir('/@0/made')), FX.OK, 'nothing can be made in /@0');
    assert.notEqual(await code(c.mkdir('/@9')), FX.OK, 'nor an alias directory made');
    const before = { a: spaces.requests(a), b: spaces.requests(b) };
    const h = await c.handleOf(c.open(`/${b}${t.outside}/victim`, PF.READ));
    await c.read(h, 0, 10);
    await c.close(h);
    assert.deepEqual({ a: spaces.requests(a), b: spaces.requests(b) }, { a: before.a, b: before.b + 3 }, 'OPEN, READ and CLOSE count for b, by path and by handle');
    assert.ok(before.a >= 10, `a's requests are counted too: ${before.a}`);
    assert.equal(s.server.stats().requests >= before.a + before.b + 3, true);
    await spaces.remove(b);
    assert.equal(await code(c.open(`/${b}${t.outside}/victim`, PF.READ)), FX.NO_SUCH_FILE, 'a removed run is gone');
  } finally {
    await s.stop();
    await t.cleanup();
  }
});
