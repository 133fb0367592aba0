import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalize } from './normalize.js';

// Real output of the status fixture's TestNilDeref, native amd64 and arm64 (qemu-user).
const AMD64 = `--- FAIL: TestNilDeref (0.00s)
panic: runtime error: invalid memory address or nil pointer dereference [recovered]
	panic: runtime error: invalid memory address or nil pointer dereference
[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x4f70d6]

goroutine 18 [running]:
testing.tRunner.func1.2({0x50b160, 0x603b30})
	/usr/lib/go-1.19/src/testing/testing.go:1396 +0x24e
testing.tRunner.func1()
	/usr/lib/go-1.19/src/testing/testing.go:1399 +0x39f
panic({0x50b160, 0x603b30})
	/usr/lib/go-1.19/src/runtime/panic.go:884 +0x212
example.com/fx/status.Deref(...)
	/work/main/test/fixtures/status/status.go:7
example.com/fx/status.TestNilDeref(0x0?)
	/work/main/test/fixtures/status/end_test.go:30 +0x16
testing.tRunner(0xc000098680, 0x5321b0)
	/usr/lib/go-1.19/src/testing/testing.go:1446 +0x10b
created by testing.(*T).Run
	/usr/lib/go-1.19/src/testing/testing.go:1493 +0x35f
FAIL	example.com/fx/status	0.021s
FAIL
`;
const ARM64 = `--- FAIL: TestNilDeref (0.00s)
panic: runtime error: invalid memory address or nil pointer dereference [recovered]
	panic: runtime error: invalid memory address or nil pointer dereference
[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0xfb00c]

goroutine 20 [running]:
testing.tRunner.func1.2({0x113100, 0x215bb0})
	/usr/lib/go-1.19/src/testing/testing.go:1396 +0x1c8
testing.tRunner.func1()
	/usr/lib/go-1.19/src/testing/testing.go:1399 +0x374
panic({0x113100, 0x215bb0})
	/usr/lib/go-1.19/src/runtime/panic.go:884 +0x20c
example.com/fx/status.Deref(...)
	/work/main/test/fixtures/status/status.go:7
example.com/fx/status.TestNilDeref(0x0?)
	/work/main/test/fixtures/status/end_test.go:30 +0x1c
testing.tRunner(0x40000849c0, 0x13a168)
	/usr/lib/go-1.19/src/testing/testing.go:1446 +0x10c
created by testing.(*T).Run
	/usr/lib/go-1.19/src/testing/testing.go:1493 +0x328
FAIL	example.com/fx/status	0.164s
FAIL
`;

test('a panic on amd64 and on arm64 normalize to the same text', () => {
  assert.equal(normalize(ARM64), normalize(AMD64));
  assert.match(normalize(AMD64), /^\t\/usr\/lib\/go-1\.19\/src\/testing\/testing\.go:1396$/m);
  assert.match(normalize(AMD64), /^testing\.tRunner\(\.\.\.\)$/m);
  assert.match(normalize(AMD64), /^goroutine N \[running\]:$/m);
});

test('durations go, everything else stays', () => {
  assert.equal(normalize('ok  \texample.com/fx/a\t0.012s\n'), 'ok  \texample.com/fx/a\tX.XXs\n');
  assert.equal(
    normalize('ok  \texample.com/fx/cover\t1.5s\tcoverage: 81.8% of statements'),
    'ok  \texample.com/fx/cover\tX.XXs\tcoverage: 81.8% of statements',
  );
  assert.equal(normalize('ok  \texample.com/fx/a\t(cached)'), 'ok  \texample.com/fx/a\t(cached)');
  assert.equal(normalize('--- PASS: TestX (12.34s)'), '--- PASS: TestX (X.XXs)');
  assert.equal(normalize('    --- FAIL: TestX/sub (0.00s)'), '    --- FAIL: TestX/sub (X.XXs)');
});

test('differences that matter survive normalization', () => {
  assert.notEqual(normalize('--- PASS: TestA (0.00s)'), normalize('--- FAIL: TestA (0.00s)'));
  assert.notEqual(normalize('\t/src/a_test.go:10 +0x1'), normalize('\t/src/a_test.go:11 +0x1'));
  assert.notEqual(normalize('arg 0 6869'), normalize('arg 0 6868'));
  assert.notEqual(normalize('stdout 1\nstderr 1'), normalize('stderr 1\nstdout 1'));
  // A test's own output that merely looks like a call keeps its arguments.
  assert.equal(normalize('result: f(1, 2)'), 'result: f(1, 2)');
  assert.notEqual(normalize('exit status 3'), normalize('exit status 2'));
});

test('register dumps disappear', () => {
  assert.equal(normalize('SIGABRT: abort\nPC=0x46c1e1 m=0 sigcode=0\n\nrax    0x0\nrip    0x46c1e1\nx0     0x0\nlr     0x1\n'), 'SIGABRT: abort\nPC=0xX m=0 sigcode=0\n\n');
});
