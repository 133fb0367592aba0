// The bench's Go fixture module, generated under a temp dir in /tmp: the seed's
// bindmount script can only show paths the remote user may create (mkdir -p in
// the user namespace), so the module must not live under /work or /root.
import { execFileSync } from 'node:child_process';
import { createCipheriv, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const PACKAGES = 20;
export const BIG_MB = 100;
// The pool row (issue 8): 16 packages whose test sleeps 2 s, run with -p 16.
export const SLEEP_PACKAGES = 16;
export const SLEEP_SECONDS = 2;

const trivialTest = (name) => `package ${name}

import "testing"

func TestTrivial(t *testing.T) {
	if 1+1 != 2 {
		t.Fatal("arithmetic")
	}
}
`;

// Sleeps and does nothing else: the pool row measures how many run at once, not CPU.
// The hostname line (seen with -v) lets the bench count the hosts the calls went to.
const sleepTest = (name) => `package ${name}

import (
	"fmt"
	"os"
	"testing"
	"time"
)

func TestSleep(t *testing.T) {
	host, _ := os.Hostname()
	fmt.Printf("BENCH_HOST %s\\n", host)
	time.Sleep(${SLEEP_SECONDS} * time.Second)
}
`;

// Reads testdata/big.bin inside the test and prints the read's own time, so the
// row measures the transport, not connection setup.
const readTest = `package readbig

import (
	"fmt"
	"io"
	"os"
	"testing"
	"time"
)

func TestReadBig(t *testing.T) {
	start := time.Now()
	f, err := os.Open("testdata/big.bin")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n, err := io.CopyBuffer(io.Discard, f, make([]byte, 1<<20))
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("BENCH_READ %d bytes %.6f s\\n", n, time.Since(start).Seconds())
}
`;

/** Cheap incompressible bytes (AES-CTR keystream): randomBytes(100 MB) is slow under load. */
function writeBigFile(file, mb) {
  const cipher = createCipheriv('aes-128-ctr', randomBytes(16), randomBytes(16));
  const fd = fs.openSync(file, 'w');
  const zeros = Buffer.alloc(1 << 20);
  try {
    for (let i = 0; i < mb; i++) fs.writeSync(fd, cipher.update(zeros));
  } finally {
    fs.closeSync(fd);
  }
}

const goEnv = () => ({ ...process.env, GOOS: 'linux', GOARCH: 'arm64', CGO_ENABLED: '0', GOFLAGS: '' });

/**
 * Creates the module: trivial/ (one trivial test), many/pkg01..pkg20/ (same),
 * sleep/s01..s16/ (a test that sleeps 2 s), readbig/ (the 100 MB read), and
 * prebuilt arm64 test binaries for trivial and readbig.
 * Returns the paths; call cleanup() to remove it.
 */
export function makeFixture() {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'gocpu-bench-'));
  const mod = path.join(root, 'mod');
  const write = (rel, text) => {
    fs.mkdirSync(path.dirname(path.join(mod, rel)), { recursive: true });
    fs.writeFileSync(path.join(mod, rel), text);
  };
  write('go.mod', 'module example.com/gocpu-bench\n\ngo 1.19\n');
  write('trivial/trivial_test.go', trivialTest('trivial'));
  for (let i = 1; i <= PACKAGES; i++) {
    const name = `pkg${String(i).padStart(2, '0')}`;
    write(`many/${name}/${name}_test.go`, trivialTest(name));
  }
  for (let i = 1; i <= SLEEP_PACKAGES; i++) {
    const name = `s${String(i).padStart(2, '0')}`;
    write(`sleep/${name}/${name}_test.go`, sleepTest(name));
  }
  write('readbig/readbig_test.go', readTest);
  fs.mkdirSync(path.join(mod, 'readbig/testdata'));
  writeBigFile(path.join(mod, 'readbig/testdata/big.bin'), BIG_MB);

  const bins = path.join(root, 'bin');
  fs.mkdirSync(bins);
  for (const pkg of ['trivial', 'readbig']) {
    execFileSync('go', ['test', '-c', '-o', path.join(bins, `${pkg}.test`), `./${pkg}`], {
      cwd: mod,
      env: goEnv(),
      stdio: ['ignore', 'inherit', 'inherit'],
    });
  }
  // Compile the 20 + 16 packages once, so every timed `go test` finds them in the build cache.
  execFileSync('go', ['test', '-count=1', '-run', '^$', '-exec', '/bin/true', './many/...', './sleep/...'], {
    cwd: mod,
    env: goEnv(),
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return {
    root,
    mod,
    trivialBin: path.join(bins, 'trivial.test'),
    readBin: path.join(bins, 'readbig.test'),
    goEnv,
    cleanup: () => fs.rmSync(root, { recursive: true, force: true }),
  };
}
