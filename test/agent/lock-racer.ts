/**
 * One contender for agent-lock.test.ts's races, in a process of its own (a lock's
 * holder is a pid). Lines on stdin: `take PATH` answers `held` or `not PID`, and
 * keeps what it took; `release` gives it back and answers `released`.
 */
import { createInterface } from 'node:readline';
import { tryLock } from '../../src/agent/agent-lock.js';
import { pidAlive } from '../../src/agent/agent-alive.js';

let release: (() => void) | undefined;
for await (const line of createInterface({ input: process.stdin })) {
  const [cmd, arg] = line.split(' ');
  if (cmd === 'take') {
    const l = tryLock(arg!, pidAlive);
    if (l.held) release = l.release;
    process.stdout.write(l.held ? 'held\n' : `not ${l.holder}\n`);
  } else if (cmd === 'release') {
    release?.();
    release = undefined;
    process.stdout.write('released\n');
  }
}
