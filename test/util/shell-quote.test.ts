import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { quoteBytes, shellJoin } from '../../src/util/shell-quote.js';

// Prints each argument as hex on its own line, so any byte can be compared.
const HEX_ARGS = 'for a in "$@"; do printf %s "$a" | od -An -v -tx1 | tr -d " \\n"; echo; done';

function throughSh(args: Buffer[]): string[] {
  const script = Buffer.concat([Buffer.from(`set -- `), ...args.flatMap((a) => [quoteBytes(a), Buffer.from(' ')]), Buffer.from(`\n${HEX_ARGS}\n`)]);
  const r = spawnSync('sh', ['-s'], { input: script });
  assert.equal(r.status, 0, r.stderr.toString());
  return r.stdout.toString().split('\n').slice(0, args.length);
}

test('quoting leaves safe words alone and quotes the rest', () => {
  assert.equal(shellJoin(['a', 'b/c.d', '-x=1']), 'a b/c.d -x=1');
  assert.equal(shellJoin(['', "it's", '$(x)', 'a b']), `'' 'it'\\''s' '$(x)' 'a b'`);
});

test('every byte but NUL survives sh byte-identical', () => {
  const cases = [
    Buffer.from(`spaces and 'quotes' "double" $(echo pwned) \`x\` * ? [a] ~ \\ ; | & > <`),
    Buffer.from('new\nline\r\ttab'),
    Buffer.from([0xff, 0xfe, 0x80, 0x27, 0x0a, 0x01]),
    Buffer.from(''),
    Buffer.from("'"),
  ];
  for (let i = 0; i < 200; i++) {
    const b = randomBytes(1 + (i % 40));
    cases.push(Buffer.from(b.map((x) => (x === 0 ? 1 : x))));
  }
  const got = throughSh(cases);
  assert.deepEqual(got, cases.map((c) => c.toString('hex')));
});

test('a NUL byte is refused', () => {
  assert.throws(() => quoteBytes(Buffer.from([0x61, 0, 0x62])), /NUL/);
});
