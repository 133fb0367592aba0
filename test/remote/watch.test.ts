/**
 * The watch half's dead man's switch (src/remote/watch.sh) under each shell a remote's
 * `sh` may be: dash (Debian's, the test host's), bash (Fedora's: as sh it is bash --posix;
 * plain bash too) and busybox sh (Alpine's, and many a board's).
 * It rests on a trapped signal's action running while a builtin read waits (dash, busybox
 * and bash --posix end the read for it, plain bash runs it and reads on), which POSIX
 * leaves open: checked here with the real shells, on a run dir of its own (TMPDIR), no ssh. The
 * end-to-end cases (a cut link, a run that outlasts the limit) are cleanup.test.ts's.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { HEARTBEAT } from '../../src/remote/contract.js';
import { remoteScript } from '../../src/remote/scripts.js';
import { tempDir } from '../e2e/harness.js';

const SHELLS = [['dash'], ['bash'], ['bash', '--posix'], ['busybox', 'sh']];
const NONCE = 'abc123';
const LIMIT_S = 2;
// A half that never ends fails here, not at the runner's own limit.
const T = { timeout: 30_000 };

interface Watch {
  send(line: string): void;
  end(): void;
  /** Resolves with what the half wrote on stdout once it has exited and let go of it. */
  done: Promise<{ code: number | null; stdout: string }>;
  runDir: string;
  cleanup(): void;
}

/** shared: SHARED=1, whose teardown removes the run dir and spares its sshd session (without: kills its parent, the test runner). */
function startWatch(shell: string[], shared: boolean): Watch {
  const { dir: base, cleanup } = tempDir(undefined, 'gocpu-watch-test-');
  const runDir = join(base, `gocpu.${NONCE}`);
  mkdirSync(runDir);
  const p = spawn(shell[0], [...shell.slice(1), '-c', remoteScript('watch'), 'gocpu-watch', NONCE, String(LIMIT_S), shared ? '1' : '0'], {
    // HOME without a .bashrc: bash reads ~/.bashrc for -c when its stdin is a socket, as sshd's may be.
    env: { PATH: process.env.PATH, TMPDIR: base, HOME: base },
    stdio: ['pipe', 'pipe', 'ignore'],
  });
  let stdout = '';
  p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  // 'close': every holder of its stdout is gone too (the dog's sleep must not be one).
  const done = new Promise<{ code: number | null; stdout: string }>((resolve) => p.on('close', (code) => resolve({ code, stdout })));
  return {
    send: (line) => p.stdin.write(`${line}\n`),
    end: () => p.stdin.end(),
    done,
    runDir,
    cleanup: () => {
      p.kill('SIGKILL');
      cleanup();
    },
  };
}

for (const shell of SHELLS) {
  const name = shell.join(' ');

  test(`watch half under ${name}: beats keep the run past the limit; each is echoed, and "q" ends it quietly`, T, async () => {
    // Not shared: a quit leaves the run dir to the mount half, and it stays.
    const w = startWatch(shell, false);
    try {
      const beats = (LIMIT_S + 2) * 5;
      for (let i = 0; i < beats; i++) {
        w.send(HEARTBEAT.beat);
        await new Promise((r) => setTimeout(r, 200));
      }
      w.send(HEARTBEAT.quit);
      const r = await w.done;
      assert.equal(r.code, 0);
      assert.equal(r.stdout, HEARTBEAT.beat.repeat(beats), 'every beat echoed, and no teardown');
      assert.ok(existsSync(w.runDir), 'a quit leaves the run dir to the mount half');
    } finally {
      w.cleanup();
    }
  });

  test(`watch half under ${name}: no beat for the limit tears the run down (its dir goes) and says so`, T, async () => {
    const w = startWatch(shell, true);
    try {
      w.send(HEARTBEAT.beat);
      const r = await w.done;
      assert.equal(r.code, 0);
      assert.equal(r.stdout, `${HEARTBEAT.beat}${HEARTBEAT.torn}`);
      assert.ok(!existsSync(w.runDir), 'the run dir is removed');
    } finally {
      w.cleanup();
    }
  });

  test(`watch half under ${name}: the end of input without "q" (gocpu killed) tears the run down`, T, async () => {
    const w = startWatch(shell, true);
    try {
      w.send(HEARTBEAT.beat);
      w.end();
      const r = await w.done;
      assert.equal(r.stdout, `${HEARTBEAT.beat}${HEARTBEAT.torn}`);
      assert.ok(!existsSync(w.runDir), 'the run dir is removed');
    } finally {
      w.cleanup();
    }
  });
}
