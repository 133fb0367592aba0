/**
 * go's test log (-test.testlogfile, which gocpu adds for go's test cache:
 * src/gotest/test-flags.ts) comes back from the remote in one answer of the watch half
 * instead of being written through the mount: there its create, writes and close cost
 * the test five SFTP round trips, 250 ms of every call at 50 ms (issue 8). run.sh points
 * the flag at the remote's disk; the watch half, told at its start (HEARTBEAT.pushLog),
 * sends the file as soon as run.sh has recorded the test's end (or when asked,
 * HEARTBEAT.askLog), and we write it where go reads it, before go hears the end.
 *
 * The bytes are the remote's, as they were when the test wrote through the mount; the
 * place is ours: only the name go expects, inside the binary's directory opened without
 * following a link, and the file itself never through one, created as os.Create would.
 */
import { closeSync, constants, openSync, writeSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { TEST_LOG_DATA, TEST_LOG_NONE } from '../remote/contract.js';
import { OpenDir } from './outputs.js';
import { trace } from '../util/trace.js';

/** How long the answer may take: the log may be large, the link slow. */
export const TEST_LOG_WAIT_MS = 15_000;
/**
 * How long after the run channel closed the pushed log may still be on its way before
 * we ask for it (a remote whose run.sh could not wait for the test writes no end file,
 * so nothing tells the pusher: the ask answers then).
 */
export const TEST_LOG_GRACE_MS = 1000;

/**
 * Whether the run brings go's test log back through the watch half: mount mode only (a
 * copy brings it home itself). The one place that decides it, for the header run.sh
 * reads (program.ts) and for the local side's push and wait (run.ts).
 */
export function wantsLog<P extends { testLog?: string }>(plan: P, mount: { copy?: unknown }): plan is P & { testLog: string } {
  return plan.testLog !== undefined && !mount.copy;
}

/** The log's bytes from the watch half's answer, or undefined when the remote has none. */
export function decodeTestLog(detail: string): Buffer | undefined {
  if (detail === TEST_LOG_NONE || !detail.startsWith(TEST_LOG_DATA)) return undefined;
  const b64 = detail.slice(TEST_LOG_DATA.length);
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) return undefined;
  return Buffer.from(b64, 'base64');
}

/** Writes the log at `path` (go's $WORK/bNNN/testlog.txt); throws on a local failure. */
export function writeTestLog(path: string, bytes: Buffer): void {
  const dir = new OpenDir(dirname(path));
  try {
    const fd = openSync(dir.at(basename(path)), constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, 0o666);
    try {
      for (let off = 0; off < bytes.length;) off += writeSync(fd, bytes, off, bytes.length - off);
    } finally {
      closeSync(fd);
    }
  } finally {
    dir.close();
  }
}

/**
 * Waits for the watch half's answer and writes the log. A log that does not come (no
 * answer in time, no base64 on the remote) or cannot be written costs go's cache only:
 * go reruns the test next time, as when a test writes no log.
 */
export async function bringTestLog(path: string, answer: Promise<string | undefined>, stderr: NodeJS.WritableStream): Promise<void> {
  const detail = await answer;
  const bytes = detail === undefined ? undefined : decodeTestLog(detail);
  trace(detail === undefined ? 'test log: no answer' : `test log: ${bytes ? `${bytes.length} bytes` : 'none'}`);
  if (!bytes) return;
  try {
    writeTestLog(path, bytes);
  } catch (e) {
    stderr.write(`gocpu: local: warning: cannot write go's test log ${path}: ${(e as Error).message} (go will not cache this result)\n`);
  }
}
