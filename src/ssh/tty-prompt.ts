/**
 * Asks the person at the controlling terminal, like ssh's read_passphrase(): it opens
 * /dev/tty itself because under `go test` stdin is /dev/null and stdout is test output.
 * No controlling terminal (CI, setsid, cron) means openTty() returns undefined and the
 * caller skips whatever needed an answer instead of hanging.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { ReadStream } from 'node:tty';

export interface Prompter {
  /** Resolves to the answer, or null when the user cancels (Ctrl-C / Ctrl-D). */
  ask(prompt: string, echo: boolean): Promise<string | null>;
}

export function openTty(path = '/dev/tty'): Prompter | undefined {
  try {
    closeSync(openSync(path, 'r+')); // ENXIO without a controlling terminal
  } catch {
    return undefined;
  }
  return { ask: (prompt, echo) => askOnTty(path, prompt, echo) };
}

function askOnTty(path: string, prompt: string, echo: boolean): Promise<string | null> {
  return new Promise((resolve) => {
    let fd: number;
    try {
      fd = openSync(path, 'r+');
    } catch {
      resolve(null);
      return;
    }
    const input = new ReadStream(fd);
    let answer = '';
    const finish = (value: string | null): void => {
      input.off('data', onData);
      try {
        input.setRawMode(false);
      } catch {
        // terminal already gone
      }
      try {
        writeSync(fd, '\n');
      } catch {
        // ditto
      }
      input.destroy(); // closes fd
      resolve(value);
    };
    const onData = (chunk: Buffer): void => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return finish(answer);
        if (ch === '\x03' || ch === '\x04') return finish(null);
        if (ch === '\x7f' || ch === '\b') {
          if (answer.length > 0 && echo) writeSync(fd, '\b \b');
          answer = answer.slice(0, -1);
        } else if (ch === '\x15') {
          answer = ''; // Ctrl-U
        } else {
          answer += ch;
          if (echo) writeSync(fd, ch);
        }
      }
    };
    input.setRawMode(true); // raw mode also turns echo off
    writeSync(fd, prompt);
    input.on('data', onData);
    input.on('error', () => finish(null));
  });
}
