/**
 * What bin/gocpu runs: node entry.js NAME ARGS..., NAME being the name the launcher
 * was called by (go_linux_arm64_exec picks linux/arm64).
 *
 * A go_linux_ARCH_exec call goes to the per-host agent (src/agent/client.ts)
 * unless GOCPU_AGENT=0 or its stdin is a terminal: that path loads none of the ssh
 * or sftp code. Everything else, and a call the agent cannot take, runs here (main.ts, direct
 * mode).
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { launcherSaidDirect, startUnderLauncher } from './launcher.js';
import { trace } from '../util/trace.js';

export async function runEntry(): Promise<void> {
  startUnderLauncher();
  const argv = process.argv.slice(2);
  const { exitWith } = await import('./exit.js');
  let status: number | undefined;
  // A terminal on stdin runs in direct mode: with stdout a terminal too (`go run` of
  // an interactive program) it gets a remote pty, which only direct mode sets up
  // (src/terminal/); with stdout piped (`go run ./x | cat`) its typed bytes travel as
  // direct mode sends them. Direct mode rather than teaching the agent a terminal's
  // stdin: exact by construction (one code path), and such calls are interactive,
  // one at a time, where the agent's warm path saves nothing anyone would notice.
  const ttyStdin = process.stdin.isTTY === true;
  const wrapper = /(^|\/)go_[a-z0-9]+_[a-z0-9]+_exec$/.test(argv[0] ?? '');
  // How long the call took to reach node (the launcher's start, and a try at the door, before it).
  if (wrapper) trace('node running (the wrapper\'s own node: the call did not go through the door)');
  if (wrapper && !ttyStdin && !launcherSaidDirect()) {
    const client = await import('../agent/client.js');
    if (client.agentWanted(process.env)) status = await client.runViaAgent(argv);
  }
  if (status === undefined) {
    const { main } = await import('./main.js');
    status = await main(argv);
  }
  exitWith(status);
}

/** Everything runEntry may load, loaded and run nothing: what the build's code cache holds (hack/code-cache.mjs). */
export async function loadAll(): Promise<void> {
  await Promise.all([import('./exit.js'), import('../agent/client.js'), import('./main.js')]);
}

// tsc's output run as a file (node dist/src/cli/entry.js); bundled, dist/bundle/cli/entry.js runs it.
if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) void runEntry();
