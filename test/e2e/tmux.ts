/**
 * A real terminal for the interactive tests: a private tmux server (own socket, no
 * config) with one window of a known size running sh. Tests type into it, read its
 * screen, resize it, and wait for events (a string on the screen, a file), never
 * for time. Every command line the pane runs records how it ended in files
 * (`rc.txt` last), with the local `stty -a` before and after.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempDir } from './harness.js';

export interface Ended {
  rc: number;
  /** `stty -a` in the pane before and after the command. */
  before: string;
  after: string;
}

export class Tmux {
  readonly dir: string;
  private readonly socket: string;
  private readonly cleanupDir: () => void;

  constructor(env: NodeJS.ProcessEnv, readonly cols = 100, readonly rows = 30) {
    const t = tempDir(undefined, 'gocpu-e2e-tty-');
    this.dir = t.dir;
    this.cleanupDir = t.cleanup;
    this.socket = path.join(this.dir, 'tmux.sock');
    const clean: NodeJS.ProcessEnv = { ...env };
    for (const k of ['TMUX', 'TMUX_PANE', 'PS1', 'ENV']) delete clean[k];
    // The server keeps the environment of the client that started it.
    this.tmux(['new-session', '-d', '-x', String(cols), '-y', String(rows), '-s', 'e2e', '-c', this.dir, 'sh'], clean);
    this.tmux(['set-option', '-g', 'history-limit', '5000']);
  }

  private tmux(args: string[], env?: NodeJS.ProcessEnv): string {
    return execFileSync('tmux', ['-S', this.socket, '-f', '/dev/null', ...args], { encoding: 'utf8', env: env ?? process.env });
  }

  /** Types text literally (no key names). */
  type(text: string): void {
    this.tmux(['send-keys', '-t', 'e2e', '-l', text]);
  }

  /** Presses keys by tmux name: Enter, C-c, C-d, C-z. */
  keys(...names: string[]): void {
    this.tmux(['send-keys', '-t', 'e2e', ...names]);
  }

  resize(cols: number, rows: number): void {
    this.tmux(['resize-window', '-t', 'e2e', '-x', String(cols), '-y', String(rows)]);
  }

  /** `stty -a` of the pane's terminal, read from outside while a program runs in it. */
  paneStty(): string {
    const tty = this.tmux(['display-message', '-p', '-t', 'e2e', '#{pane_tty}']).trim();
    return execFileSync('stty', ['-a', '-F', tty], { encoding: 'utf8' });
  }

  /** The screen and its scrollback, lines joined as they were wrapped. */
  screen(): string {
    return this.tmux(['capture-pane', '-p', '-J', '-S', '-', '-t', 'e2e']);
  }

  async waitFor(re: RegExp, ms: number, what = String(re)): Promise<RegExpExecArray> {
    const deadline = Date.now() + ms;
    for (;;) {
      const m = re.exec(this.screen());
      if (m) return m;
      if (Date.now() > deadline) throw new Error(`waiting for ${what} on the terminal, not within ${ms} ms; screen:\n${this.screen()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /**
   * Runs a shell command line in the pane, as a user would type it; `$$` of
   * `sh -c 'echo $$ >pid; exec CMD'` is CMD's pid, for the tests that signal it.
   */
  start(commandLine: string): void {
    for (const f of ['rc.txt', 'pid', 'before.txt', 'after.txt']) fs.rmSync(path.join(this.dir, f), { force: true });
    this.type(`stty -a >before.txt; ${commandLine}; echo $? >rc.tmp; stty -a >after.txt; mv rc.tmp rc.txt`);
    this.keys('Enter');
  }

  /** The pid `echo $$ >pid` wrote: a whole line, never the empty file between its creation and the write. */
  async pid(ms: number): Promise<number> {
    const deadline = Date.now() + ms;
    for (;;) {
      let text = '';
      try {
        text = fs.readFileSync(path.join(this.dir, 'pid'), 'utf8');
      } catch {
        // not yet
      }
      if (/^[1-9]\d*\n$/.test(text)) return Number(text);
      if (Date.now() > deadline) throw new Error(`no pid within ${ms} ms; screen:\n${this.screen()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  private async waitForFile(name: string, ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    while (!fs.existsSync(path.join(this.dir, name))) {
      if (Date.now() > deadline) throw new Error(`${name} did not appear within ${ms} ms; screen:\n${this.screen()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Waits for the command line of start() to end. */
  async ended(ms: number): Promise<Ended> {
    await this.waitForFile('rc.txt', ms);
    const read = (f: string) => fs.readFileSync(path.join(this.dir, f), 'utf8');
    return { rc: Number(read('rc.txt').trim()), before: read('before.txt'), after: read('after.txt') };
  }

  close(): void {
    try {
      this.tmux(['kill-server']);
    } catch {
      // already gone
    }
    this.cleanupDir();
  }
}

/** `stty -a` without the window size, which a resize test changes on purpose. */
export function sttyModes(sttyA: string): string {
  return sttyA.replace(/rows \d+; columns \d+;/, 'rows -; columns -;');
}
