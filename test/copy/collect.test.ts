/**
 * What copy.sh sends back is the remote's choice of names: collect.ts must put a
 * test's outputs in place and nothing else, whatever the tar holds (`../` names, a
 * symlink followed by a file through it, a path outside the writable roots, the
 * test binary).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import * as tar from 'tar-stream';
import { collectInto } from '../../src/copy/collect.js';

async function tarOf(entries: { name: string; type?: 'file' | 'symlink' | 'directory'; body?: string; linkname?: string }[]): Promise<Buffer> {
  const pack = tar.pack();
  for (const e of entries) {
    if (e.type === 'symlink') pack.entry({ name: e.name, type: 'symlink', linkname: e.linkname });
    else if (e.type === 'directory') pack.entry({ name: e.name, type: 'directory', mode: 0o755 });
    else pack.entry({ name: e.name, mode: 0o644 }, Buffer.from(e.body ?? ''));
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

test('collect puts outputs in the writable roots and refuses every name that leads elsewhere', async () => {
  const top = fs.mkdtempSync(path.join(os.tmpdir(), 'gocpu-collect-'));
  try {
    const out = path.join(top, 'work', 'b001');
    const outside = path.join(top, 'outside');
    fs.mkdirSync(out, { recursive: true });
    fs.mkdirSync(outside);
    fs.writeFileSync(path.join(out, 'pkg.test'), 'binary');
    const rel = out.slice(1);
    const bytes = await tarOf([
      { name: `${rel}/`, type: 'directory' },
      { name: `${rel}/sub/`, type: 'directory' },
      { name: `${rel}/sub/cover.out`, body: 'mode: set\n' },
      { name: `${rel}/testlog.txt`, body: 'log\n' },
      { name: `${rel}/../escape.txt`, body: 'escaped' },
      { name: `${rel}/lnk`, type: 'symlink', linkname: outside },
      { name: `${rel}/lnk/through.txt`, body: 'through a link' },
      { name: `${outside.slice(1)}/direct.txt`, body: 'outside' },
      { name: `${rel}/pkg.test`, body: 'replaced' },
    ]);
    const stderr = new PassThrough();
    let said = '';
    stderr.on('data', (d: Buffer) => (said += d.toString()));
    const sink = collectInto([out], path.join(out, 'pkg.test'), stderr);
    sink.write(bytes);
    sink.end();
    await sink.done;
    assert.equal(fs.readFileSync(path.join(out, 'sub', 'cover.out'), 'utf8'), 'mode: set\n');
    assert.equal(fs.readFileSync(path.join(out, 'testlog.txt'), 'utf8'), 'log\n');
    assert.equal(fs.readFileSync(path.join(out, 'pkg.test'), 'utf8'), 'binary');
    assert.deepEqual(fs.readdirSync(outside), []);
    assert.ok(!fs.existsSync(path.join(top, 'work', 'escape.txt')));
    assert.match(said, /^gocpu: remote: warning: ignored 4 file\(s\) the test wrote outside its outputs: /);
  } finally {
    fs.rmSync(top, { recursive: true, force: true });
  }
});
