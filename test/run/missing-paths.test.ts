import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MissingPaths } from '../../src/run/missing-paths.js';

test('a path the test could not open that exists here, outside the exports, gets one hint naming its module', () => {
  const top = fs.mkdtempSync(path.join(os.tmpdir(), 'gocpu-missing-'));
  try {
    const app = path.join(top, 'app');
    const other = path.join(top, 'other');
    fs.mkdirSync(app);
    fs.mkdirSync(path.join(other, 'testdata'), { recursive: true });
    fs.writeFileSync(path.join(other, 'go.mod'), 'module other\n');
    fs.writeFileSync(path.join(other, 'testdata', 'x.txt'), 'x');
    fs.writeFileSync(path.join(app, 'here.txt'), 'x');
    const m = new MissingPaths(app);
    // Split mid-line, as a stream delivers it.
    const out = '    a_test.go:9: open ../other/testdata/x.txt: no such file or directory\nstat here.txt: no such file or directory\nopen /nowhere/y: no such file or directory\n';
    m.feed(Buffer.from(out.slice(0, 30)));
    m.feed(Buffer.from(out.slice(30)));
    const hints = m.hints('h', (p) => p.startsWith(app + '/'));
    assert.deepEqual(hints, [
      `gocpu: local: ${other}/testdata/x.txt exists here but is not exported to h: add {"path": ${JSON.stringify(other)}} to "exports" in the gocpu config`,
    ]);
  } finally {
    fs.rmSync(top, { recursive: true, force: true });
  }
});
