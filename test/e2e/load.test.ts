/**
 * Done means: `GOARCH=arm64 go test -p 32 ./...` over a module of 40 packages (some
 * reading testdata, small and large) passes through the wrapper with 32 runs at a
 * time, with no SSH channel or connection errors, and leaves nothing behind on the
 * remote: within 15 s of go test's end no run directory, sshfs process, FUSE mount
 * or namespace of those runs is left.
 *
 * The module is generated at test time. Every wrapper go starts writes its run's
 * nonce (its remote directory is /tmp/gocpu.NONCE) to GOCPU_TRACE_FILE before it
 * connects, so each run is tied to its directory without racing it; the process
 * watch, which finds our runs by a marker after -args (see proc-watch.ts), adds the
 * namespace processes it happened to see.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describeRun, goTest, randomToken, tempDir } from './harness.js';
import { leftovers } from './leftovers.js';
import { RemoteProcWatch } from './proc-watch.js';

const PACKAGES = 40;
const PARALLEL = 32;
const LIMIT_MS = 280_000;
const tmp = tempDir();
after(tmp.cleanup);

const name = (i: number) => `p${String(i).padStart(2, '0')}`;

/** Deterministic bytes, large enough to take many SFTP reads. */
function bigData(i: number): Buffer {
  const b = Buffer.alloc(300 * 1024 + i);
  for (let j = 0; j < b.length; j++) b[j] = (j * 31 + i * 7 + (j >> 9)) & 0xff;
  return b;
}

function generate(dir: string): void {
  fs.writeFileSync(path.join(dir, 'go.mod'), 'module example.com/fx/load\n\ngo 1.19\n');
  for (let i = 0; i < PACKAGES; i++) {
    const p = path.join(dir, name(i));
    fs.mkdirSync(path.join(p, 'testdata'), { recursive: true });
    fs.writeFileSync(path.join(p, `${name(i)}.go`), `package ${name(i)}\n\nfunc Value() int { return ${i} }\n`);
    const tests = [
      `func TestValue(t *testing.T) {`,
      `\tif Value() != ${i} {`,
      `\t\tt.Fatalf("Value() = %d", Value())`,
      `\t}`,
      `\t// Long enough for the suite's process watch to see this run.`,
      `\ttime.Sleep(time.Second)`,
      `}`,
    ];
    if (i % 3 === 0) {
      const text = `data of ${name(i)}\n`.repeat(i + 1);
      fs.writeFileSync(path.join(p, 'testdata', 'data.txt'), text);
      tests.push('', 'func TestTestdata(t *testing.T) {', '\tb, err := os.ReadFile("testdata/data.txt")', '\tif err != nil {', '\t\tt.Fatal(err)', '\t}',
        `\tif string(b) != ${JSON.stringify(text)} {`, '\t\tt.Fatalf("testdata/data.txt reads %q", b)', '\t}', '}');
    }
    if (i % 5 === 0) {
      const big = bigData(i);
      fs.writeFileSync(path.join(p, 'testdata', 'big.bin'), big);
      const sum = createHash('sha256').update(big).digest('hex');
      tests.push('', 'func TestBig(t *testing.T) {', '\tb, err := os.ReadFile("testdata/big.bin")', '\tif err != nil {', '\t\tt.Fatal(err)', '\t}',
        `\tif s := fmt.Sprintf("%x", sha256.Sum256(b)); s != "${sum}" {`, '\t\tt.Fatalf("testdata/big.bin: %d bytes, sha256 %s", len(b), s)', '\t}', '}');
    }
    const imports = ['"testing"', '"time"', ...(i % 3 === 0 || i % 5 === 0 ? ['"os"'] : []), ...(i % 5 === 0 ? ['"crypto/sha256"', '"fmt"'] : [])];
    const src = `package ${name(i)}\n\nimport (\n${imports.map((x) => `\t${x}\n`).join('')})\n\n${tests.join('\n')}\n`;
    fs.writeFileSync(path.join(p, `${name(i)}_test.go`), src);
  }
}

test(`go test -p ${PARALLEL} over ${PACKAGES} packages: all ok, no channel errors, nothing left on the remote`, { timeout: LIMIT_MS + 60_000 }, async () => {
  const dir = path.join(tmp.dir, 'load');
  fs.mkdirSync(dir);
  generate(dir);
  const mark = `gocpu-e2e-load-${randomToken()}`;
  const traceFile = path.join(tmp.dir, 'trace.log');
  const watch = await RemoteProcWatch.start({ mark }, Math.ceil(LIMIT_MS / 1000) + 30);
  let r;
  try {
    r = await goTest({
      args: ['-p', String(PARALLEL), '-count=1', './...', '-args', mark], cwd: dir, goarch: 'arm64', timeoutMs: LIMIT_MS,
      env: { GOCPU_TRACE_FILE: traceFile, GOCPU_TRACE: undefined },
    });
  } finally {
    await watch.stop();
  }
  const ended = Date.now();
  // Every problem is collected first: a failing package must not hide a leftover.
  const problems: string[] = [];
  if (r.timedOut) problems.push(`go test did not finish within ${LIMIT_MS / 1000} s`);
  const bad = r.output.split('\n').filter((l) => /open failed|MaxSessions|Connection reset/i.test(l));
  if (bad.length > 0) problems.push(`channel or connection errors under load: ${bad.join(' / ')}`);
  const notOk = Array.from({ length: PACKAGES }, (_, i) => name(i)).filter((p) => !new RegExp(`^ok  \\texample\\.com/fx/load/${p}\\t`, 'm').test(r.stdout));
  if (notOk.length > 0) problems.push(`packages not ok: ${notOk.join(' ')}`);
  if (r.code !== 0) problems.push(`go test exited ${r.code ?? r.signal}`);

  // One `run NONCE on HOST` line per wrapper, written before it connects (src/cli/main.ts).
  const traced = runsOf(fs.existsSync(traceFile) ? fs.readFileSync(traceFile, 'utf8') : '');
  const nonces = [...new Set(traced)];
  if (traced.length !== PACKAGES || nonces.length !== PACKAGES) {
    problems.push(`GOCPU_TRACE_FILE names ${nonces.length} distinct run directories in ${traced.length} lines for ${PACKAGES} packages, so some cleanup is unchecked`);
  }
  // The watch reads nonces from the remote's command lines: each must be one of ours.
  const strays = watch.nonces('mark').filter((n) => !nonces.includes(n));
  if (strays.length > 0) problems.push(`the process watch saw runs the trace file does not name: ${strays.join(' ')}`);
  const pid1s = watch.hitsFor('mark').flatMap((h) => [h.holder, h.pid1]).filter((p) => p !== undefined) as { pid: number; start: string }[];
  let left: string[] = [];
  do {
    left = await leftovers(nonces, mark, pid1s);
    if (left.length === 0) break;
    await new Promise((res) => setTimeout(res, 1000));
  } while (Date.now() - ended < 15_000);
  if (left.length > 0) problems.push(`still on the remote ${Math.round((Date.now() - ended) / 1000)} s after go test ended: ${left.join(' / ')}`);
  assert.deepEqual(problems, [], describeRun(r));
});

/** The nonces of GOCPU_TRACE_FILE's `PID MS ms run NONCE on HOST` lines, one per wrapper. */
function runsOf(text: string): string[] {
  return [...text.matchAll(/^\d+ [\d.]+ ms run ([0-9a-f]{24}) on /gm)].map((m) => m[1]);
}
