// Timing and memory helpers for `make bench`.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';

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

/**
 * Runs a command once as go runs a test binary (stdin /dev/null, stdout and
 * stderr one pipe) and resolves to { ms, cpuMs, code, signal, output }; cpuMs is the
 * machine's CPU time meanwhile (machineCpuMs: ours and the test host's alike).
 */
export function timed(cmd, args, { cwd, env }) {
  return new Promise((resolve, reject) => {
    const cpu0 = machineCpuMs();
    const start = performance.now();
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out = [];
    child.stdout.on('data', (b) => out.push(b));
    child.stderr.on('data', (b) => out.push(b));
    child.on('error', reject);
    child.on('close', (code, signal) =>
      resolve({ ms: performance.now() - start, cpuMs: machineCpuMs() - cpu0, code, signal, output: Buffer.concat(out).toString() }),
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
 * Samples, every intervalMs, the summed RSS of every process whose command line
 * contains `needle` (gocpu's wrappers: `node .../bin/go_linux_arm64_exec ...`).
 * stop() returns { peakSumKb, peakCount }.
 */
export function rssSampler(needle, intervalMs = 50) {
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
      // The wrapper itself (node + script), not `time` or go holding the same words.
      if (!/(^|\/)node$/.test(cmdline[0]) || !cmdline[1]?.includes(needle)) continue;
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
