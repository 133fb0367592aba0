/**
 * ProxyCommand: ssh2 talks SSH over any duplex stream (its `sock` option), so the
 * command's stdin/stdout become the connection. End of stream is delivered only once
 * the command has exited, so a failing command shows up as "exited with status N"
 * rather than as a bare lost connection. Its stderr goes to `log`, not to our stderr,
 * which under `go test` is test output.
 */
import { spawn } from 'node:child_process';
import { Duplex } from 'node:stream';

export interface ProxyStream {
  stream: Duplex;
  /** Ends the command (SIGTERM) once the ssh connection is closed. */
  stop(): void;
}

export function startProxyCommand(command: string, log: (line: string) => void): ProxyStream {
  // OpenSSH runs it via `exec $SHELL -c`; /bin/sh keeps behaviour independent of the user's shell.
  const child = spawn('/bin/sh', ['-c', `exec ${command}`], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stopping = false;
  const stop = (): void => {
    stopping = true;
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  };
  const stream = new Duplex({
    read: () => child.stdout.resume(),
    // A write error is EPIPE once the command is gone: its exit status says why,
    // and must win the race against the broken pipe (maybeEnd below).
    write: (chunk: Buffer, _enc, cb) => {
      child.stdin.write(chunk, () => cb());
    },
    final: (cb) => {
      child.stdin.end();
      cb();
    },
    destroy: (err, cb) => {
      stop();
      cb(err);
    },
  });
  child.stdin.on('error', () => undefined); // EPIPE once the command is gone; its exit says why
  child.stdout.on('data', (d: Buffer) => {
    if (!stream.push(d)) child.stdout.pause();
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (s: string) => {
    for (const line of s.split('\n')) if (line.trim() !== '') log(`ProxyCommand: ${line}`);
  });
  let outEnded = false;
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const maybeEnd = (): void => {
    if (!outEnded || exit === undefined || stream.destroyed) return;
    if (exit.code === 0 || stopping) stream.push(null);
    else stream.destroy(new Error(`ProxyCommand ${exit.code === null ? `killed by ${exit.signal}` : `exited with status ${exit.code}`}`));
  };
  child.stdout.on('end', () => {
    outEnded = true;
    maybeEnd();
  });
  child.on('exit', (code, signal) => {
    exit = { code, signal };
    maybeEnd();
  });
  child.on('error', (e) => stream.destroy(e));
  return { stream, stop };
}
