// Timing and memory helpers for `make bench`.
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { Socket } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

export const median = (xs) => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/**
 * CPU time spent so far by the whole machine, in ms: every process (this machine's
 * and the test host's, which shares its kernel), and the kernel. /proc/stat counts in
 * USER_HZ, which Linux fixes at 100 for userspace.
 */
export function machineCpuMs() {
  const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal: all but idle and iowait.
  return (f[0] + f[1] + f[2] + f[5] + f[6] + (f[7] || 0)) * 10;
}

let fifoDir;
let fifos = 0;

/**
 * A pipe, as go gives its wrapper one for stdout and stderr: node's own 'pipe' is a
 * socket pair, which a wrapper cannot always treat as go's (gocpu's door opens the
 * wrapper's descriptors anew by their /proc links, and a socket has none). A fifo's
 * two ends: ours to read (a stream), and the child's descriptor (blocking, as a pipe's).
 */
function pipeForChild() {
  if (!fifoDir) {
    fifoDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gocpu-bench-fifo-'));
    process.once('exit', () => fs.rmSync(fifoDir, { recursive: true, force: true }));
  }
  const p = path.join(fifoDir, `out-${fifos++}`);
  execFileSync('mkfifo', [p]);
  const ours = new Socket({ fd: fs.openSync(p, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK), readable: true, writable: false });
  const theirs = fs.openSync(p, fs.constants.O_WRONLY);
  fs.unlinkSync(p);
  return { ours, theirs };
}

/**
 * Runs a command once as go runs a test binary (stdin /dev/null, stdout and
 * stderr one pipe) and resolves to { ms, cpuMs, code, signal, output }; cpuMs is the
 * machine's CPU time meanwhile (machineCpuMs: ours and the test host's alike).
 * The end is go's: the process exited and its output pipe reached EOF.
 */
export function timed(cmd, args, { cwd, env }) {
  return new Promise((resolve, reject) => {
    const cpu0 = machineCpuMs();
    const start = performance.now();
    const pipe = pipeForChild();
    let child;
    try {
      child = spawn(cmd, args, { cwd, env, stdio: ['ignore', pipe.theirs, pipe.theirs] });
    } finally {
      fs.closeSync(pipe.theirs);
    }
    const out = [];
    pipe.ours.on('data', (b) => out.push(b));
    const eof = new Promise((r) => pipe.ours.once('close', r));
    child.on('error', reject);
    child.on('exit', (code, signal) =>
      void eof.then(() => resolve({ ms: performance.now() - start, cpuMs: machineCpuMs() - cpu0, code, signal, output: Buffer.concat(out).toString() })),
    );
  });
}

/** Thrown (and reported at the end) when something the bench runs does not succeed. */
export class RunFailed extends Error {}

/** timed(), but a non-zero exit is a RunFailed carrying the output's tail. */
export async function timedOk(label, cmd, args, opts) {
  const r = await timed(cmd, args, opts);
  if (r.code !== 0) {
    const tail = r.output.trim().split('\n').slice(-15).join('\n');
    throw new RunFailed(`${label}: exit ${r.code ?? r.signal}\n${tail}`);
  }
  return r;
}

function rssKbOf(pid) {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0; // gone meanwhile
  }
}

/**
 * Samples, every intervalMs, the summed RSS of every process whose argv `is`
 * (a predicate on the argv array) accepts. stop() returns { peakSumKb, peakCount }.
 */
export function rssSampler(is, intervalMs = 50) {
  let peakSumKb = 0;
  let peakCount = 0;
  const sample = () => {
    let sum = 0;
    let count = 0;
    for (const pid of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
      let cmdline;
      try {
        cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      } catch {
        continue;
      }
      if (!is(cmdline)) continue;
      sum += rssKbOf(pid);
      count++;
    }
    peakSumKb = Math.max(peakSumKb, sum);
    peakCount = Math.max(peakCount, count);
  };
  const timer = setInterval(sample, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return { peakSumKb, peakCount };
    },
  };
}
