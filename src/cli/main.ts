/**
 * The top level: the only place that turns errors into a message and an exit
 * status. Everything below throws GocpuError (or returns how the remote ended).
 */
import { basename } from 'node:path';
import { readFileSync } from 'node:fs';
import { loadConfig } from '../config/config-file.js';
import { resolveTargetHost, splitHosts, targetHosts } from '../config/host.js';
import { type Target, targetFromElf, targetFromProgramName, isGoArch } from '../config/target.js';
import { GocpuError, isGocpuError } from '../errors.js';
import { doctor } from '../doctor/doctor.js';
import { planRun } from '../run/plan.js';
import { runOnFirstHost } from '../run/first-host.js';
import { trace } from '../util/trace.js';
import { parseGocpuArgs } from './args.js';
import { exitNowBy, statusFor } from './exit.js';
import { onForwardedSignal } from './launcher.js';
import { rawArgs, rawEnv } from './raw-argv.js';
import { helpText } from './usage.js';
import { isLocalVerb } from './local-verb-args.js';
import { runLocalVerb } from './local-verbs.js';
import { localTerminal } from '../terminal/local-terminal.js';
export { exitWith } from './exit.js';

import { EXIT_GOCPU_FAILURE } from './exit.js';

function version(): string {
  const pkg = new URL('../../../package.json', import.meta.url);
  return (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version;
}

function report(e: unknown): number {
  if (isGocpuError(e)) {
    process.stderr.write(e.oneLine() + '\n');
    if (process.env.GOCPU_DEBUG && e.cause) process.stderr.write(`gocpu: debug: cause: ${String((e.cause as Error).stack ?? e.cause)}\n`);
  } else {
    const err = e as Error;
    process.stderr.write(`gocpu: local: internal error: ${err?.message ?? String(e)} (please report it; GOCPU_DEBUG=1 shows the stack)\n`);
    if (process.env.GOCPU_DEBUG) process.stderr.write(`${err?.stack}\n`);
  }
  return EXIT_GOCPU_FAILURE;
}

/** The target picks the host; with --host given it is only informative. */
function targetFor(explicit: Target | undefined, program: string, env: NodeJS.ProcessEnv, host?: string): Target | undefined {
  if (explicit) return explicit;
  const elf = program.includes('/') ? targetFromElf(program) : undefined;
  if (elf) return elf;
  if (env.GOARCH && isGoArch(env.GOARCH)) return { goos: 'linux', goarch: env.GOARCH };
  if (host) return undefined;
  throw new GocpuError('NO_TARGET', `cannot tell which architecture ${program} needs`, {
    hint: 'pass --target linux/ARCH or set GOARCH',
  });
}

/** argv: [program name, ...arguments], as process.argv.slice(1). */
export async function main(argv: string[]): Promise<number> {
  const env = process.env;
  const name = basename(argv[0] ?? 'gocpu');
  const args = argv.slice(1);
  let forward: ((signal: string) => void) | undefined;
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    signals++;
    if (forward && signals === 1) {
      forward(sig);
      return;
    }
    // Before the test started, or a second time: stop now. The remote side
    // cleans up when the connection drops (sshfs sees EOF and unmounts).
    exitNowBy(sig);
  };
  // From the start: under the launcher node begins with INT and QUIT ignored (a
  // shell's background job), so a signal relayed before we listen would be lost.
  const stopListening = onForwardedSignal(onSignal);
  let terminal: ReturnType<typeof localTerminal>;
  try {
    let target: Target | undefined = targetFromProgramName(name);
    let host: string | undefined;
    let commandIndex = 0;
    let generic = false;
    let parsed: ReturnType<typeof parseGocpuArgs> | undefined;
    if (!target) {
      parsed = parseGocpuArgs(args);
      if (parsed.verb === 'help') {
        process.stdout.write(helpText(parsed.helpTopic) + '\n');
        return 0;
      }
      if (parsed.verb === 'version') {
        process.stdout.write(`gocpu ${version()}\n`);
        return 0;
      }
      if (isLocalVerb(parsed.verb)) return await runLocalVerb(parsed, env);
      if (parsed.verb === 'doctor') {
        // The host a run would use: the same resolution, config and environment.
        const config = loadConfig(env);
        const t = parsed.target ?? (env.GOARCH && isGoArch(env.GOARCH) ? { goos: 'linux' as const, goarch: env.GOARCH } : undefined);
        const h = parsed.host ?? (t ? resolveTargetHost(t, env, config) : splitHosts([env.GOCPU_HOST ?? ''])[0]);
        if (!h) throw new GocpuError('USAGE', 'which host?', { hint: 'gocpu doctor [--target linux/ARCH] HOST' });
        return await doctor(h, t?.goarch, env, config, process.stdout);
      }
      commandIndex = parsed.commandIndex;
      host = parsed.host;
      generic = parsed.verb === 'generic';
      const program = args[commandIndex];
      // No command: the remote user's login shell, on the host GOARCH or GOCPU_HOST names.
      if (program === undefined && !host && !parsed.target && !(env.GOARCH && isGoArch(env.GOARCH))) {
        host = env.GOCPU_HOST;
        if (!host) throw new GocpuError('USAGE', 'which host?', { hint: 'usage: gocpu [-host=H] [COMMAND [ARGS...]]; gocpu help lists every verb' });
      }
      target = targetFor(parsed.target, program ?? '', env, host);
    }
    const command = rawArgs(args).slice(commandIndex);
    if (command.length === 0 && !generic) throw new GocpuError('USAGE', 'no program given', { hint: `usage: ${name} PROGRAM [ARGS...]` });
    const config = loadConfig(env);
    const hosts = host !== undefined ? [host] : targetHosts(target!, env, config);
    const plan = planRun({
      target,
      host: hosts[0],
      command,
      cwd: process.cwd(),
      env,
      rawEnv: rawEnv(env),
      config,
      generic,
      readOnly: parsed?.readOnly,
      extraExports: parsed?.exports,
    });
    trace(`run ${plan.nonce} on ${hosts.join(',')}`);
    terminal = localTerminal(process.stdin, process.stdout, env);
    const end = await runOnFirstHost(
      hosts,
      plan,
      // stdin always travels (issue 9: a terminal's was dropped); with a terminal on both ends, on a remote pty.
      { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, terminal },
      env,
      { onSignalForwarder: (f) => (forward = f) },
    );
    return statusFor(end);
  } catch (e) {
    return report(e);
  } finally {
    terminal?.restore();
    stopListening();
  }
}
