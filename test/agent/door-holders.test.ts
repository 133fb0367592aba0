/**
 * othersHold (src/agent/door-holders.ts): the leaving agent's "does a launcher still
 * hold my door?", against real processes holding a real fifo.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, constants, fstatSync, mkdtempSync, openSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { othersHold } from '../../src/agent/door-holders.js';

function fifo(): { path: string; dev: number; ino: number; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'gocpu-door-holders-'));
  const path = join(dir, 'door');
  execFileSync('mkfifo', [path]);
  const fd = openSync(path, constants.O_RDWR | constants.O_NONBLOCK);
  const { dev, ino } = fstatSync(fd);
  closeSync(fd);
  return { path, dev, ino, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A shell that holds `path` open (read-write, as a launcher does) until its stdin ends. */
async function holder(path: string): Promise<ChildProcess> {
  const sh = spawn('sh', ['-c', 'exec 3<>"$1" && echo held && read -r _', 'sh', path], { stdio: ['pipe', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    sh.stdout!.once('data', () => resolve());
    sh.once('exit', (code) => reject(new Error(`the holder exited (${code})`)));
  });
  return sh;
}

async function letGo(sh: ChildProcess): Promise<void> {
  const exited = new Promise((r) => sh.once('exit', r));
  sh.stdin!.end();
  await exited;
}

test('a process holding the fifo counts until it lets go', async () => {
  const f = fifo();
  try {
    assert.equal(othersHold(f.dev, f.ino), false);
    const sh = await holder(f.path);
    assert.equal(othersHold(f.dev, f.ino), true);
    await letGo(sh);
    assert.equal(othersHold(f.dev, f.ino), false);
  } finally {
    f.cleanup();
  }
});

test('a holder still counts once the name is gone (hidden), and a new fifo of that name does not', async () => {
  const f = fifo();
  try {
    const sh = await holder(f.path);
    unlinkSync(f.path);
    assert.equal(othersHold(f.dev, f.ino), true, 'the hidden door is still held');
    execFileSync('mkfifo', [f.path]);
    const newer = await holder(f.path);
    await letGo(sh);
    assert.equal(othersHold(f.dev, f.ino), false, 'a holder of the newer fifo does not hold ours');
    await letGo(newer);
  } finally {
    f.cleanup();
  }
});

test('our own descriptors do not count', () => {
  const f = fifo();
  const fd = openSync(f.path, constants.O_RDWR | constants.O_NONBLOCK);
  try {
    assert.equal(othersHold(f.dev, f.ino), false);
  } finally {
    closeSync(fd);
    f.cleanup();
  }
});
