// The bench's table and bench/RESULTS.md.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';

const sh = (cmd, args) => {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch (e) {
    return `${e.stdout ?? ''}${e.stderr ?? ''}`.trim() || 'unknown';
  }
};

/** What the numbers were measured on. remoteSsh: argv prefix that runs a command on the test host. */
export function machine(repo, remoteSsh) {
  const first = (s) => s.split('\n')[0];
  return {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    cpus: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'unknown'}`,
    memory: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    kernel: `${os.type()} ${os.release()} ${os.arch()}`,
    load: os.loadavg().map((l) => l.toFixed(2)).join(' '),
    node: process.version,
    go: sh('go', ['version']),
    openssh: sh('sh', ['-c', 'ssh -V 2>&1']),
    'remote sshfs': first(sh(remoteSsh[0], [...remoteSsh.slice(1), 'sshfs --version 2>&1 | grep -i "sshfs version"'])),
    qemu: first(sh('qemu-aarch64-static', ['--version'])),
    gocpu: `${JSON.parse(fs.readFileSync(`${repo}/package.json`, 'utf8')).version} (${sh('git', ['-C', repo, 'rev-parse', '--short', 'HEAD'])})`,
  };
}

const fmtMs = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`);

/** A cell: time medians in ms or s, throughputs in MB/s, memory in MB. */
export function fmt(row) {
  if (row.failed) return 'FAILED';
  if (row.unit === 'ms') return fmtMs(row.value);
  if (row.unit === 'MB/s') return `${row.value.toFixed(0)} MB/s`;
  if (row.unit === 'MB') return `${row.value.toFixed(0)} MB`;
  return String(row.value);
}

const ratio = (row, base) =>
  !base || row.failed || base.failed || row === base || !(base.value > 0) ? '' : (row.value / base.value).toFixed(2);

/**
 * sections: [{ title, runs, rows: [{ label, value, unit, failed, note }], cm, fresh }]
 * where cm and fresh are the rows (of that section) the ratios divide by.
 */
export function table(sections) {
  const lines = ['| what | way | median | ÷ pipeline, ControlMaster | ÷ pipeline, new connection |', '|---|---|---|---|---|'];
  for (const s of sections) {
    for (const r of s.rows) {
      const way = r.note ? `${r.label}, ${r.note}` : r.label;
      lines.push(`| ${s.title} (${s.runs}×) | ${way} | ${fmt(r)} | ${ratio(r, s.cm)} | ${ratio(r, s.fresh)} |`);
    }
  }
  return lines.join('\n');
}

const busy = (load) => Number(String(load).split(' ')[0]) > os.cpus().length;

export function resultsMarkdown({ machine: m, sections, failures, runs, loadAfter }) {
  const info = Object.entries(m).map(([k, v]) => `- ${k}: ${v}`);
  return `# gocpu bench results

Written by \`make bench\` (bench/run-bench.mjs, BENCH_RUNS=${runs}). Medians; a ratio is
this row's median divided by the pipeline's in the same section (for a time, below 1 means
faster than the pipeline; for a throughput, above 1 means faster). "the pipeline" is the
seed's, rebuilt from stock OpenSSH (bench/openssh-exec). "gocpu, warm agent" reuses the
agent's connection, mount and cached binary (a view per call); "cold" is a call that starts
the agent; "direct" (GOCPU_AGENT=0) opens a connection and mount and builds a view per call.

${busy(m.load) ? `**The load average was above the core count: these numbers are mostly noise.**\n\n` : ''}## Machine

${info.join('\n')}
- load average after: ${loadAfter}

## Table

${table(sections)}
${failures.length ? `\n## Did not run\n\n${failures.map((f) => `- ${f.split('\n')[0]}`).join('\n')}\n` : ''}`;
}

const tableLines = (sections) => table(sections).split('\n').slice(2);
const PARTIAL = '## Rows measured on their own (BENCH_ONLY)';

/**
 * A BENCH_ONLY run: the previous RESULTS.md (text) with the table rows of the
 * sections just measured replaced in place (or added at the end), and one line under
 * PARTIAL saying when, under what load and how often they were measured; the
 * machine block stays the full run's.
 */
export function mergeResults(text, { machine: m, sections, failures, runs, loadAfter, only }) {
  const lines = text.replace(/\n+$/, '').split('\n');
  const titles = sections.map((s) => `| ${s.title} (`);
  const mine = (l) => titles.some((t) => l.startsWith(t));
  const start = lines.indexOf('## Table');
  if (start < 0) return resultsMarkdown({ machine: m, sections, failures, runs, loadAfter });
  let end = lines.findIndex((l, i) => i > start + 1 && l.startsWith('|'));
  while (end >= 0 && end < lines.length && lines[end].startsWith('|')) end++;
  if (end < 0) end = lines.length;
  // In place of the rows they replace (where the first of them was), else at the end.
  const old = lines.slice(start, end);
  const at0 = old.findIndex(mine);
  const kept = old.filter((l) => !mine(l));
  const table = at0 < 0 ? kept.concat(tableLines(sections)) : [...kept.slice(0, at0), ...tableLines(sections), ...kept.slice(at0)];
  const rest = lines.slice(end);
  let before = lines.slice(0, start);

  const note = `- ${only.join(', ')}: ${m.date}, BENCH_RUNS=${runs}, gocpu ${m.gocpu}, load average before ${m.load}, after ${loadAfter}${
    failures.length ? `; did not run: ${failures.map((f) => f.split('\n')[0]).join('; ')}` : ''
  }`;
  const at = before.indexOf(PARTIAL);
  if (at < 0) {
    before = [...before, PARTIAL, '', note, ''];
  } else {
    let stop = at + 1;
    while (stop < before.length && !before[stop].startsWith('## ')) stop++;
    // An older note keeps only the sections this run did not measure again (none: it goes).
    const kept = before.slice(at + 1, stop).flatMap((l) => {
      const m = /^- ([a-z0-9, ]+): (.*)$/.exec(l);
      if (!m) return l.startsWith('- ') ? [l] : [];
      const left = m[1].split(', ').filter((k) => !only.includes(k));
      return left.length ? [`- ${left.join(', ')}: ${m[2]}`] : [];
    });
    before = [...before.slice(0, at + 1), '', ...kept, note, '', ...before.slice(stop)];
  }
  return `${[...before, ...table, ...rest].join('\n')}\n`;
}
