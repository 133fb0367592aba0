/**
 * Watches every process's command line while runs are in progress: on the test
 * host as root (RemoteProcWatch) and on this machine (LocalCmdlineScan, which sees
 * the test host's processes too, as they live in a child pid namespace).
 *
 * Other test files use the same test host at the same time: a run of ours is found
 * by a marker we put in its argv. run.sh runs setsid and nsenter with the test's argv
 * after `gocpu-exec NONCE`, so the process whose command line holds the marker also names
 * the run's nonce, and with it its private directory /tmp/gocpu.NONCE.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { remoteShOk, sq, sshArgs } from './remote-sh.js';
import { repoRoot } from './repo.js';

/** A process (pid, start time in clock ticks): pids get reused, the pair does not. */
export interface ProcId { pid: number; start: string }

export interface Hit {
  /** Name of the pattern found in the command line. */
  pattern: string;
  pid: number;
  /** The run's nonce when the process is the run's nsenter (`gocpu-exec NONCE`). */
  nonce?: string;
  /** Names of the patterns found in the process's environment. */
  environ: string[];
  /** For an nsenter hit: the namespace holder (unshare) and the namespace's pid 1. */
  holder?: ProcId;
  pid1?: ProcId;
  /** The start of its command line, NULs and newlines as spaces. */
  cmdline: string;
}

// The poll loop; a file of its own so that shellcheck can read it.
const POLL_SCRIPT = fs.readFileSync(path.join(repoRoot, 'test', 'e2e', 'proc-watch.sh'), 'utf8');

function procId(s: string): ProcId | undefined {
  const m = /^(\d+):(\d+)$/.exec(s);
  return m ? { pid: Number(m[1]), start: m[2] } : undefined;
}

export class RemoteProcWatch {
  readonly hits: Hit[] = [];
  private out = '';
  private stderr = '';
  private exited: Promise<void>;

  private constructor(
    private readonly child: ChildProcess,
    private readonly dir: string,
  ) {
    child.stdout!.on('data', (b: Buffer) => {
      this.out += b.toString('utf8');
      let nl: number;
      while ((nl = this.out.indexOf('\n')) >= 0) {
        this.line(this.out.slice(0, nl));
        this.out = this.out.slice(nl + 1);
      }
    });
    child.stderr!.on('data', (b: Buffer) => (this.stderr += b.toString('utf8')));
    this.exited = new Promise((resolve) => child.on('close', () => resolve()));
  }

  /**
   * Starts polling /proc/[0-9]*\/cmdline on the test host every ~50 ms for each
   * pattern (fixed strings without newlines). The patterns go into root-only files
   * on the remote, so grep's own command line does not contain them.
   */
  static async start(patterns: Record<string, string>, limitS = 400): Promise<RemoteProcWatch> {
    const dir = `/root/gocpu-e2e-watch.${process.pid}.${Date.now()}.${Math.random().toString(16).slice(2)}`;
    const files = Object.entries(patterns)
      .map(([name, value]) => {
        if (!/^[A-Za-z0-9_]+$/.test(name) || value.includes('\n') || value === '') throw new Error(`bad pattern ${name}`);
        return `printf '%s\\n' ${sq(value)} >"$d/p.${name}"`;
      })
      .join('\n');
    const script = `set -u\nd=${sq(dir)}\nend=$(( $(date +%s) + ${limitS} ))\nmkdir -m 700 "$d"\n${files}\necho started\n${POLL_SCRIPT}`;
    const child = spawn('ssh', sshArgs('root'), { stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdin!.end(script);
    const w = new RemoteProcWatch(child, dir);
    const up = await w.waitFor(() => w.started, 30_000);
    if (!up) {
      child.kill('SIGKILL');
      throw new Error(`the remote process watch did not start within 30 s: ${w.stderr}`);
    }
    return w;
  }

  private started = false;
  private finished = false;

  private line(l: string): void {
    if (l === 'started') this.started = true;
    else if (l === 'done') this.finished = true;
    const m = /^hit (\S+) (\d+) (\S+) (\S+) (\S+) (\S+) ?(.*)$/.exec(l);
    if (!m) return;
    this.hits.push({
      pattern: m[1],
      pid: Number(m[2]),
      nonce: m[3] === '-' ? undefined : m[3],
      environ: m[4].split(',').filter((x) => x !== ''),
      holder: procId(m[5]),
      pid1: procId(m[6]),
      cmdline: m[7],
    });
  }

  /** Nonces of the runs whose nsenter command line held `pattern`. */
  nonces(pattern: string): string[] {
    return [...new Set(this.hits.filter((h) => h.pattern === pattern && h.nonce).map((h) => h.nonce!))];
  }

  hitsFor(pattern: string): Hit[] {
    return this.hits.filter((h) => h.pattern === pattern);
  }

  /** Polls `cond` every 50 ms; false when it did not hold within timeoutMs. */
  async waitFor(cond: () => boolean, timeoutMs: number): Promise<boolean> {
    const until = Date.now() + timeoutMs;
    while (!cond()) {
      if (Date.now() > until || this.finished) return cond();
      await new Promise((r) => setTimeout(r, 50));
    }
    return true;
  }

  /** Stops the poll loop and waits for it (at most 15 s; then the ssh client is killed). */
  async stop(): Promise<void> {
    if (!this.finished) {
      await remoteShOk(`touch ${sq(this.dir)}/stop 2>/dev/null || true`).catch(() => {});
    }
    const killed = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
    await this.exited;
    clearTimeout(killed);
  }
}

export interface LocalHit { pattern: string; pid: number; cmdline: string }

/** Reads every /proc/PID/cmdline on this machine every 50 ms and records each pattern it finds. */
export class LocalCmdlineScan {
  readonly hits: LocalHit[] = [];
  private timer: NodeJS.Timeout;
  private seen = new Set<string>();

  constructor(private readonly patterns: Record<string, string>) {
    this.scan();
    this.timer = setInterval(() => this.scan(), 50);
  }

  private scan(): void {
    for (const entry of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      let cmdline: Buffer;
      try {
        cmdline = fs.readFileSync(`/proc/${entry}/cmdline`);
      } catch {
        continue; // gone meanwhile
      }
      for (const [name, value] of Object.entries(this.patterns)) {
        const key = `${name}:${entry}`;
        if (this.seen.has(key) || !cmdline.includes(value)) continue;
        this.seen.add(key);
        this.hits.push({ pattern: name, pid: Number(entry), cmdline: cmdline.toString('utf8').replace(/\0/g, ' ').slice(0, 300) });
      }
    }
  }

  hitsFor(pattern: string): LocalHit[] {
    return this.hits.filter((h) => h.pattern === pattern);
  }

  stop(): void {
    clearInterval(this.timer);
    this.scan();
  }
}
