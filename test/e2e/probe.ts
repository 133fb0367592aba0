/**
 * The probe fixture (test/fixtures/probe): builds it, runs it through the wrapper
 * and reads what it printed. See probe_test.go for what each test prints.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describeRun, fixtureDir, goEnv, goTestBinary, requireWrapper, run, type RunResult } from './harness.js';

export const probeModule = fixtureDir('probe');

/** `go test -c` of the probe module (or a copy of it) into dir. */
export function buildProbe(dir: string, goarch = 'arm64', moduleDir = probeModule): Promise<string> {
  return goTestBinary(moduleDir, path.join(dir, `probe.${goarch}.test`), goarch);
}

export interface ProbeRun {
  bin: string;
  test: 'TestEcho' | 'TestSecret' | 'TestPaths';
  /** Positional arguments, after `--`. */
  args: string[];
  cwd: string;
  /** Extra environment of the wrapper; undefined deletes a variable. */
  env?: Record<string, string | undefined>;
  goarch?: string;
  timeoutMs?: number;
}

/** Runs one probe test through go_linux_GOARCH_exec, as go would but without go. */
export function runProbe(p: ProbeRun): Promise<RunResult> {
  const goarch = p.goarch ?? 'arm64';
  return run(requireWrapper(goarch), [p.bin, `-test.run=^${p.test}$`, '-test.v', '--', ...p.args], {
    cwd: p.cwd,
    env: goEnv({ goarch, env: p.env }),
    timeoutMs: p.timeoutMs ?? 60_000,
  });
}

export function assertPassed(r: RunResult, what: string): void {
  assert.ok(!r.timedOut, `${what}: timed out\n${describeRun(r)}`);
  assert.equal(r.code, 0, `${what}: the probe did not pass\n${describeRun(r)}`);
}

/** TestEcho's output as bytes: its arguments and its environment (name -> value). */
export function parseEcho(stdout: string): { args: Buffer[]; env: Map<string, Buffer> } {
  const args: Buffer[] = [];
  const env = new Map<string, Buffer>();
  let nargs = -1;
  for (const line of stdout.split('\n')) {
    let m = /^nargs (\d+)$/.exec(line);
    if (m) nargs = Number(m[1]);
    m = /^arg (\d+) ([0-9a-f]*)$/.exec(line);
    if (m) args[Number(m[1])] = Buffer.from(m[2], 'hex');
    m = /^env ([0-9a-f]*)$/.exec(line);
    if (m) {
      const e = Buffer.from(m[1], 'hex');
      const eq = e.indexOf(0x3d);
      env.set(e.subarray(0, eq).toString('latin1'), e.subarray(eq + 1));
    }
  }
  assert.ok(nargs >= 0 && args.length === nargs, `TestEcho printed ${args.length} args of ${nargs}:\n${stdout}`);
  return { args, env };
}

export interface PathResult { ok: boolean; sha?: string; errno?: number; text: string }

/** TestPaths's output: "OP PATH" -> what happened. */
export function parsePaths(stdout: string): Map<string, PathResult> {
  const out = new Map<string, PathResult>();
  for (const line of stdout.split('\n')) {
    const m = /^path (\w+) (\S+) (ok|err) (\S+)(.*)$/.exec(line);
    if (!m) continue;
    out.set(`${m[1]} ${m[2]}`, m[3] === 'ok' ? { ok: true, sha: m[4], text: line } : { ok: false, errno: Number(m[4]), text: line });
  }
  return out;
}

/** The native launcher that execs with raw argv and env bytes (cmd/rawexec). */
export async function buildRawexec(dir: string): Promise<string> {
  const out = path.join(dir, 'rawexec');
  const r = await run('go', ['build', '-o', out, './cmd/rawexec'], { cwd: probeModule, env: goEnv({}) });
  assert.equal(r.code, 0, `go build rawexec failed:\n${describeRun(r)}`);
  return out;
}

/** A spec file for rawexec: exec `argv[0]` with exactly these argv and env bytes. */
export function rawexecSpec(argv: Buffer[], env: Buffer[]): string {
  return [`p ${argv[0].toString('hex')}`, ...argv.map((a) => `a ${a.toString('hex')}`), ...env.map((e) => `e ${e.toString('hex')}`), ''].join('\n');
}
