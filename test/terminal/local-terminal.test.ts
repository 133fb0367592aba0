/**
 * src/terminal/local-terminal.ts on a real terminal (a tmux pane): raw mode is raw
 * (no echo, no signals from ^C), restore() puts every attribute back, and so does
 * process.exit() while raw (the second-signal path). Without a terminal on both
 * stdin and stdout there is no terminal session.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { DEFAULT_TERM, localTerminal } from '../../src/terminal/local-terminal.js';
import { Tmux } from '../e2e/tmux.js';

const moduleUrl = new URL('../../src/terminal/local-terminal.js', import.meta.url).href;
const sq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** A node program for the pane: raw, report, then restore() or process.exit(). */
function program(dir: string, how: 'restore' | 'exit'): string {
  const file = path.join(dir, `prog-${how}.mjs`);
  fs.writeFileSync(file, `
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
const { localTerminal } = await import(${JSON.stringify(moduleUrl)});
const t = localTerminal(process.stdin, process.stdout, process.env);
writeFileSync('pty.json', JSON.stringify(t.pty()));
t.raw();
writeFileSync('raw.txt', execFileSync('stty', ['-a'], { stdio: [0, 'pipe', 'inherit'] }));
process.stdout.write('raw-ready\\n');
process.stdin.once('data', (b) => {
  writeFileSync('key.txt', b.toString('hex'));
  if (${JSON.stringify(how)} === 'exit') process.exit(4);
  t.restore();
  t.restore();
  process.exit(0);
});
`);
  return file;
}

for (const how of ['restore', 'exit'] as const) {
  test(`raw mode on a real terminal, then ${how === 'restore' ? 'restore()' : 'process.exit() while raw'}: stty -a as before`, { timeout: 60_000 }, async () => {
    const t = new Tmux({ ...process.env, TERM: 'xterm-test' }, 90, 25);
    try {
      const prog = program(t.dir, how);
      t.start(`${sq(process.execPath)} ${sq(prog)}`);
      await t.waitFor(/^raw-ready$/m, 30_000);
      t.keys('C-c');
      const e = await t.ended(30_000);
      assert.equal(e.rc, how === 'exit' ? 4 : 0, t.screen());
      const read = (f: string) => fs.readFileSync(path.join(t.dir, f), 'utf8');
      assert.equal(read('key.txt'), '03', '^C arrived as a byte, not as SIGINT');
      assert.match(read('raw.txt'), /(^|\s)-icanon\b/);
      assert.match(read('raw.txt'), /(^|\s)-isig\b/);
      assert.match(read('raw.txt'), /(^|\s)-echo\b/);
      assert.equal(e.after, e.before);
      const pty = JSON.parse(read('pty.json'));
      assert.deepEqual({ rows: pty.rows, cols: pty.cols }, { rows: 25, cols: 90 }, 'the window size');
      assert.match(pty.term, /^(screen|tmux)/, 'the pane\'s TERM');
    } finally {
      t.close();
    }
  });
}

test('no terminal session unless stdin and stdout are both terminals; TERM and size as given, window changes passed on', () => {
  const pipe = new PassThrough();
  const ttyIn = () => Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => {} });
  assert.equal(localTerminal(pipe, pipe as never, {}), undefined);
  assert.equal(localTerminal(ttyIn(), pipe as never, {}), undefined);
  const out = Object.assign(new PassThrough(), { isTTY: true, rows: 0, columns: 0 });
  assert.deepEqual(localTerminal(ttyIn(), out, {})!.pty(), { rows: 24, cols: 80, term: DEFAULT_TERM });
  out.rows = 50;
  out.columns = 132;
  const t = localTerminal(ttyIn(), out, { TERM: 'xterm-kitty' })!;
  assert.deepEqual(t.pty(), { rows: 50, cols: 132, term: 'xterm-kitty' });
  const seen: unknown[] = [];
  const stop = t.onResize((s) => seen.push(s));
  out.rows = 10;
  out.emit('resize');
  stop();
  out.emit('resize');
  assert.deepEqual(seen, [{ rows: 10, cols: 132 }]);
});
