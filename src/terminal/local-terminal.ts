/**
 * The local end of a terminal session (issue 9): when stdin and stdout are both
 * terminals, the remote program gets a pty of this window's size and TERM, and this
 * terminal goes raw so that every keystroke (^C, ^Z, ^D too) reaches the remote
 * program as over ssh, not us. Whatever way the run ends, the terminal must come back
 * as it was: restore() is idempotent and also runs on process exit (process.exit
 * from a second signal, the launcher gone); bin/gocpu restores a saved `stty -g`
 * when node itself dies (SIGKILL).
 */
export interface PtySize {
  rows: number;
  cols: number;
}

export interface PtyRequest extends PtySize {
  term: string;
}

export interface LocalTerminal {
  /** What to ask sshd for: this window's size and our TERM. */
  pty(): PtyRequest;
  /** Raw mode from now until restore(). */
  raw(): void;
  /** Calls f with the new size on every window change (SIGWINCH); returns the unsubscribe. */
  onResize(f: (size: PtySize) => void): () => void;
  restore(): void;
}

type TtyIn = NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
type TtyOut = NodeJS.WritableStream & { isTTY?: boolean; rows?: number; columns?: number; on(ev: 'resize', f: () => void): unknown; off(ev: 'resize', f: () => void): unknown };

/** ssh2's own default when TERM is unset. */
export const DEFAULT_TERM = 'vt100';

function size(out: TtyOut): PtySize {
  // A terminal that reports 0x0 (some serial consoles) gets the classic size.
  return { rows: out.rows || 24, cols: out.columns || 80 };
}

/** The local terminal, or undefined when stdin or stdout is not one (then bytes stream as they are). */
export function localTerminal(stdin: TtyIn, stdout: TtyOut, env: NodeJS.ProcessEnv): LocalTerminal | undefined {
  if (!stdin.isTTY || !stdout.isTTY || typeof stdin.setRawMode !== 'function') return undefined;
  let isRaw = false;
  const restore = () => {
    if (!isRaw) return;
    isRaw = false;
    process.off('exit', restore);
    try {
      // libuv puts back the attributes it saved when raw mode began.
      stdin.setRawMode!(false);
    } catch {
      // The terminal is gone (hung up): nothing left to restore.
    }
  };
  return {
    pty: () => ({ ...size(stdout), term: env.TERM || DEFAULT_TERM }),
    raw() {
      if (isRaw) return;
      stdin.setRawMode!(true);
      isRaw = true;
      process.on('exit', restore);
    },
    onResize(f) {
      const listener = () => f(size(stdout));
      stdout.on('resize', listener);
      return () => void stdout.off('resize', listener);
    },
    restore,
  };
}
