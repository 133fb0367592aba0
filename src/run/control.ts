/**
 * The remote scripts talk to us on stderr, in lines "gocpu-NONCE WORD DETAIL"
 * (src/remote/contract.ts), until exec.sh says "gocpu-NONCE exec": from that byte
 * on, stderr is the test's own and passes through untouched (to `sink`; a stream
 * without a sink, like the watch channel's, is control lines only). The nonce
 * keeps a test's output from being mistaken for ours. Any other line before the marker is a remote tool's error
 * message (unshare, mount, nsenter) and is kept to explain a failure.
 */
import { Writable } from 'node:stream';
import { controlPrefix, WORDS } from '../remote/contract.js';

export interface ControlLine { word: string; detail: string }

export class ControlStream extends Writable {
  readonly lines: ControlLine[] = [];
  readonly other: string[] = [];
  private pending = Buffer.alloc(0);
  private passthrough = false;
  private readonly prefix: string;

  constructor(
    nonce: string,
    private readonly sink: NodeJS.WritableStream | null,
    private readonly onLine: (l: ControlLine) => void = () => {},
  ) {
    super();
    this.prefix = controlPrefix(nonce);
  }

  get started(): boolean {
    return this.passthrough;
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, done: (e?: Error | null) => void): void {
    if (this.passthrough) {
      this.forward(chunk, done);
      return;
    }
    let buf = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    for (let nl = buf.indexOf(10); nl !== -1; nl = buf.indexOf(10)) {
      const line = buf.subarray(0, nl).toString();
      buf = buf.subarray(nl + 1);
      if (line.startsWith(this.prefix)) {
        const rest = line.slice(this.prefix.length);
        const sp = rest.indexOf(' ');
        const l = { word: sp === -1 ? rest : rest.slice(0, sp), detail: sp === -1 ? '' : rest.slice(sp + 1) };
        if (l.word === WORDS.exec && this.sink) {
          this.onLine(l);
          this.passthrough = true;
          this.pending = Buffer.alloc(0);
          if (buf.length > 0) this.forward(buf, done);
          else done();
          return;
        }
        this.lines.push(l);
        this.onLine(l);
      } else if (line.trim() !== '') {
        this.other.push(line);
      }
    }
    this.pending = Buffer.from(buf);
    done();
  }

  override _final(done: (e?: Error | null) => void): void {
    if (!this.passthrough && this.pending.length > 0) this.other.push(this.pending.toString());
    done();
  }

  private forward(chunk: Buffer, done: (e?: Error | null) => void): void {
    const sink = this.sink!;
    if (sink.write(chunk)) done();
    else sink.once('drain', () => done());
  }

  errors(): ControlLine[] {
    return this.lines.filter((l) => l.word === WORDS.error);
  }
}
