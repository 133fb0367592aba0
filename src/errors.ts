/**
 * The one error type gocpu throws. `code` is stable (tests and scripts match on it),
 * `side` says where the failure happened, `hint` says how to fix it. Only the top level
 * (src/cli/main.ts) turns a GocpuError into a message and an exit status.
 */
export type Side = 'local' | 'remote';

export interface GocpuErrorOptions {
  side?: Side;
  hint?: string;
  cause?: unknown;
}

export class GocpuError extends Error {
  readonly code: string;
  readonly side: Side;
  readonly hint?: string;

  constructor(code: string, message: string, opts: GocpuErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'GocpuError';
    this.code = code;
    this.side = opts.side ?? 'local';
    this.hint = opts.hint;
  }

  /** One line for stderr: "gocpu: <side>: <message>: <hint>". */
  oneLine(): string {
    const msg = this.message.replace(/\s*\n\s*/g, ' ').trim();
    return `gocpu: ${this.side}: ${msg}${this.hint ? ` (${this.hint})` : ''}`;
  }
}

export function isGocpuError(e: unknown): e is GocpuError {
  return e instanceof GocpuError;
}
