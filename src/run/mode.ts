/**
 * Mount or copy, per host (issue 10). A forced mode is used as it is; `auto` asks
 * the host once what it has (doctor.sh's report, the same facts `gocpu doctor`
 * shows) and keeps the answer: in this process (the agent serves many runs) and in
 * ${XDG_CACHE_HOME:-~/.cache}/gocpu/mode/ for an hour, so a `go test ./...` pays
 * the probe once. When auto picks copy it says so on stderr, once per probe: the
 * line lands in go's output, so it must be rare.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Client } from 'ssh2';
import { probe } from '../doctor/doctor.js';
import { parseReport } from '../doctor/checks.js';
import { doctorCacheDir, recordFileName } from '../doctor/record.js';
import type { ModeSetting } from '../config/mode.js';
import { trace } from '../util/trace.js';
import { decideMode, type ModeChoice } from './mode-decision.js';

export { decideMode, type ModeChoice } from './mode-decision.js';

const TTL_MS = 60 * 60 * 1000;
const known = new Map<string, { choice: ModeChoice; at: number }>();
/** Runs that start together (go test -p N in the agent) share one probe and one message. */
const asking = new Map<string, Promise<ModeChoice>>();

/**
 * The answer depends on the host and on the sshfs program asked for (remoteSshfs): a
 * run that names a missing one must not make the host copy for every other run.
 */
export function modeKey(host: string, sshfs: string): string {
  return sshfs === 'sshfs' ? host : `${host} ${sshfs}`;
}

function cacheFile(key: string, env: NodeJS.ProcessEnv): string {
  return join(dirname(doctorCacheDir(env)), 'mode', recordFileName(key));
}

function readCached(key: string, env: NodeJS.ProcessEnv, now: number): ModeChoice | undefined {
  const mem = known.get(key);
  if (mem && now - mem.at < TTL_MS) return mem.choice;
  try {
    const rec = JSON.parse(readFileSync(cacheFile(key, env), 'utf8')) as { key: string; at: number; choice: ModeChoice };
    if (rec.key !== key || now - rec.at >= TTL_MS || !['mount', 'copy'].includes(rec.choice?.mode)) return undefined;
    known.set(key, { choice: rec.choice, at: rec.at });
    return rec.choice;
  } catch {
    return undefined;
  }
}

/** Keeps a probe's answer (doctor writes it too, so that a fixed host is seen at once). */
export function rememberMode(key: string, choice: ModeChoice, env: NodeJS.ProcessEnv, now = Date.now()): void {
  known.set(key, { choice, at: now });
  const file = cacheFile(key, env);
  try {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify({ key, at: now, choice }) + '\n', { mode: 0o600 });
    renameSync(tmp, file);
  } catch {
    // Only a cache: the next run asks the host again.
  }
}

/** A run found the host unlike its cached answer (sshfs gone): ask again next time. */
export function forgetMode(key: string, env: NodeJS.ProcessEnv): void {
  known.delete(key);
  try {
    writeFileSync(cacheFile(key, env), '{}\n');
  } catch {
    // Nothing cached.
  }
}

/** The one line that says a host runs in copy mode, and what that changes. */
export function copyLine(host: string, c: ModeChoice): string {
  const choose = 'set GOCPU_MODE or "mode" in the config to choose';
  if (c.userns) return `gocpu: remote: ${host} has ${c.reason}: running in copy mode (the files a test reads are copied, not mounted; ${choose})\n`;
  return `gocpu: remote: ${host} has ${c.reason === 'no unprivileged user namespaces' ? c.reason : `${c.reason} and no unprivileged user namespaces`}: running in copy mode without a namespace (the test runs in a copy at another path: os.Getwd, runtime.Caller paths and GOROOT differ from a local run; ${choose})\n`;
}

export interface ModeRequest {
  host: string;
  setting: ModeSetting;
  forced: boolean;
  sshfs: string;
  sshfsOptions: string;
  remoteRoot?: string;
}

export async function chooseMode(client: Client, req: ModeRequest, env: NodeJS.ProcessEnv, stderr: NodeJS.WritableStream): Promise<ModeChoice> {
  if (req.setting === 'mount') return { mode: 'mount', userns: true };
  const key = modeKey(req.host, req.sshfs);
  let choice = readCached(key, env, Date.now());
  if (!choice) {
    let p = asking.get(key);
    if (!p) {
      p = (async () => {
        trace('mode: asking the host');
        const c = decideMode(parseReport(await probe(client, req.sshfs, req.sshfsOptions, req.remoteRoot ?? '')));
        rememberMode(key, c, env);
        if (c.mode === 'copy' && !req.forced) stderr.write(copyLine(req.host, c));
        return c;
      })().finally(() => asking.delete(key));
      asking.set(key, p);
    }
    choice = await p;
  }
  trace(`mode: ${req.setting === 'copy' ? 'copy' : choice.mode}${choice.reason ? ` (${choice.reason})` : ''}`);
  return req.setting === 'copy' ? { ...choice, mode: 'copy' } : choice;
}
