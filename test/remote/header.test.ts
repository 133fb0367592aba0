import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { encodeHeader } from '../../src/remote/header.js';

// Evaluates a header the way run.sh does (read exactly N bytes with dd, eval) and
// reports what it defined, with the remaining stdin after it.
const PROBE = `
hdr=$(dd bs="$1" count=1 iflag=fullblock status=none)
eval "$hdr"
printf 'cwd=%s\\n' "$gocpu_cwd"
printf 'merge=%s\\n' "$gocpu_merge"
printf 'root=%s|\\n' "$gocpu_root"
printf 'exports=%s|\\n' "$gocpu_exports" | tr '\\n' '#'; echo
( eval "$gocpu_env"; printf 'FOO=%s|\\n' "$FOO"; printf 'BAR=%s|\\n' "$BAR" )
for a in "$@"; do printf 'arg=%s|\\n' "$a"; done
printf 'rest=%s\\n' "$(cat)"
`;

test('run.sh can eval the header and the rest of stdin is left for the test', () => {
  const h = encodeHeader({
    cwd: "/odd dir/it's",
    exports: ['/a b', '/c'],
    root: "/run/schroot/mount/it's $x",
    merge: true,
    env: [
      [Buffer.from('FOO'), Buffer.from("x 'y' $(z)\nw")],
      [Buffer.from('BAR'), Buffer.from('')],
      [Buffer.from('BAD-NAME'), Buffer.from('dropped')],
    ],
    argv: ['/bin/prog', '-test.run=Test A', '', '*', '$(id)'].map((s) => Buffer.from(s)),
  });
  const r = spawnSync('sh', ['-c', PROBE, 'probe', String(h.length)], { input: Buffer.concat([h, Buffer.from('STDIN DATA')]) });
  assert.equal(r.status, 0, r.stderr.toString());
  const out = r.stdout.toString();
  assert.match(out, /^cwd=\/odd dir\/it's$/m);
  assert.match(out, /^merge=1$/m);
  assert.match(out, /^root=\/run\/schroot\/mount\/it's \$x\|$/m);
  assert.match(out, /^exports=\/a b#\/c\|#$/m);
  assert.ok(out.includes("FOO=x 'y' $(z)\nw|\n"), out);
  assert.ok(out.includes('BAR=|\n'), out);
  assert.ok(out.includes('arg=/bin/prog|\narg=-test.run=Test A|\narg=|\narg=*|\narg=$(id)|\n'), out);
  assert.match(out, /^rest=STDIN DATA$/m);
  assert.ok(!h.includes(Buffer.from('BAD-NAME')), 'a name sh cannot export is not sent');
});

test('an export path with a newline is refused', () => {
  assert.throws(() => encodeHeader({ cwd: '/', exports: ['/a\nb'], merge: false, env: [], argv: [Buffer.from('x')] }), /newline/);
});

test('no remote root is an empty gocpu_root; one with a newline is refused', () => {
  const h = encodeHeader({ cwd: '/', exports: [], merge: false, env: [], argv: [Buffer.from('x')] });
  assert.ok(h.includes(Buffer.from("gocpu_root=''\n")), h.toString());
  assert.throws(() => encodeHeader({ cwd: '/', exports: [], root: '/a\nb', merge: false, env: [], argv: [Buffer.from('x')] }), /newline/);
});

test('asUser is gocpu_as_user=1; absent or false is 0 (run.sh keeps root in the view)', () => {
  const base = { cwd: '/', exports: [], merge: false, env: [], argv: [Buffer.from('x')] };
  const asUser = (h: Buffer) => spawnSync('sh', ['-c', 'eval "$(cat)"; printf %s "$gocpu_as_user"'], { input: h }).stdout.toString();
  assert.equal(asUser(encodeHeader({ ...base, asUser: true })), '1');
  assert.equal(asUser(encodeHeader({ ...base, asUser: false })), '0');
  assert.equal(asUser(encodeHeader(base)), '0');
});
