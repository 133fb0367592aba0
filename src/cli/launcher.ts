/**
 * The node side of bin/gocpu, the sh launcher go actually runs (its opening comment
 * has the protocol and why). Three duties: never let SIGUSR1 start Node's inspector
 * (Node 20 has no --disable-sigusr1; a listener replaces its handler), tell the
 * launcher when the status we exit with is a signal to die by, and take INT, TERM,
 * HUP and QUIT as the launcher relays them: one line on the relay file per signal.
 */
import { readSync } from 'node:fs';
import { putBack } from './node-startup-env.js';
import { traceFromLauncher } from '../util/trace.js';

export const FORWARDED_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'];

let launcher: number | undefined;
let relayFd: number | undefined;
let direct = false;

/** The launcher tried the agent's door and was told, or found, that this call runs here (it said why). */
export function launcherSaidDirect(): boolean {
  return direct;
}

/**
 * Called first thing by entry.js. GOCPU_LAUNCHER* are gone from process.env after
 * this (the environment filter drops GOCPU_* from what the test gets in any case).
 */
export function startUnderLauncher(env: NodeJS.ProcessEnv = process.env): void {
  process.on('SIGUSR1', () => {});
  putBack(env);
  const pid = Number(env.GOCPU_LAUNCHER);
  const fd = env.GOCPU_LAUNCHER_RELAY ? Number(env.GOCPU_LAUNCHER_RELAY) : undefined;
  direct = env.GOCPU_LAUNCHER_DIRECT === '1';
  delete env.GOCPU_LAUNCHER;
  delete env.GOCPU_LAUNCHER_RELAY;
  delete env.GOCPU_LAUNCHER_DIRECT;
  if (!Number.isInteger(pid) || pid <= 1 || pid !== process.ppid) return;
  launcher = pid;
  traceFromLauncher(pid);
  if (fd !== undefined && Number.isInteger(fd) && fd > 2) relayFd = fd;
  // go's last word to a wrapper is SIGKILL, which the launcher cannot pass on: once
  // it is gone, so are we, as a SIGKILLed wrapper would be (the remote side sees
  // the connection drop and cleans up).
  setInterval(() => {
    if (process.ppid !== pid) process.exit(128 + 9);
  }, 200).unref();
}

/** Whether a launcher runs us (and is still our parent). */
export function underLauncher(): boolean {
  return launcher !== undefined && process.ppid === launcher;
}

/** Tells the launcher that our exit status is a signal number to die by. */
export function markSignalDeath(): boolean {
  if (!underLauncher()) return false;
  try {
    process.kill(launcher!, 'SIGURG');
    return true;
  } catch {
    return false;
  }
}

/** The relay lines written since the last call: a name per signal the launcher got. */
export function relayedSince(fd: number, carry: { rest: string }): NodeJS.Signals[] {
  const buf = Buffer.alloc(256);
  let text = carry.rest;
  for (let n; (n = readSync(fd, buf, 0, buf.length, null)) > 0; ) text += buf.toString('latin1', 0, n);
  const lines = text.split('\n');
  carry.rest = lines.pop() ?? '';
  return lines.map((l) => `SIG${l}` as NodeJS.Signals).filter((s) => FORWARDED_SIGNALS.includes(s));
}

/**
 * Listens for the forwarded signals and calls act once per signal; returns the
 * function that stops listening. Under the launcher with a relay file, only its
 * lines count: the signals themselves are caught and dropped, since a terminal's
 * ^C reaches node directly as well as through the launcher.
 */
export function onForwardedSignal(act: (sig: NodeJS.Signals) => void): () => void {
  const fd = underLauncher() ? relayFd : undefined;
  const carry = { rest: '' };
  const onSignal = (sig: NodeJS.Signals) => (fd === undefined ? act(sig) : undefined);
  const onRelay = () => {
    for (const s of relayedSince(fd!, carry)) act(s);
  };
  for (const s of FORWARDED_SIGNALS) process.on(s, onSignal);
  if (fd !== undefined) {
    process.on('SIGURG', onRelay);
    onRelay(); // relayed before we listened
  }
  return () => {
    for (const s of FORWARDED_SIGNALS) process.off(s, onSignal);
    process.off('SIGURG', onRelay);
  };
}
