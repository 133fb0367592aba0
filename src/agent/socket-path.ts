/**
 * Where the agent listens: a unix socket in a directory private to the user,
 * `$XDG_RUNTIME_DIR/gocpu` (systemd makes that per user, 0700), else
 * `/tmp/gocpu-$UID`. The directory must be ours, not a link, and closed to
 * everyone else: a socket in a directory another user controls could be theirs,
 * and our wrappers would hand it our environment and files.
 *
 * The socket's name carries the gocpu version and where this copy of gocpu lives,
 * so an upgrade (or a second checkout) starts an agent of its own and never kills
 * the runs in flight of the old one.
 */
import { chmodSync, lstatSync, mkdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { type Socket, connect } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export class AgentDirError extends Error {}

/**
 * A live agent answers a request at once; one that does not within this is wedged (the
 * wrapper, client.ts, and the launcher, src/cli/door.sh's door_s, wait this long).
 */
export const ACCEPT_MS = 3000;

let versionCache: string | undefined;
/** package.json's version; dist/src/agent/ (and dist/bundle/*, hack/bundle.mjs) is three levels below it. */
export function gocpuVersion(): string {
  if (versionCache) return versionCache;
  const pkg = fileURLToPath(new URL('../../../package.json', import.meta.url));
  versionCache = (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version;
  return versionCache;
}

/**
 * The agent's main module, as start.ts spawns it: dist/src/agent/main.js, or in the
 * bundle (hack/bundle.mjs) dist/bundle/agent/main.js, which runs agent.cjs. This code
 * lives in dist/bundle/cli/cli.cjs there, one level down like agent/: hence ../agent/
 * rather than ./.
 */
export function agentMainPath(): string {
  return fileURLToPath(new URL('../agent/main.js', import.meta.url));
}

/**
 * Version plus a hash of this installation's path and build time: the agent's
 * identity. A rebuild in place (a developer's `make build`) starts a new agent
 * rather than leaving calls to one that runs the old code until it idles out.
 */
export function agentKey(): string {
  const main = realpathSync(agentMainPath());
  return `${gocpuVersion()}-${fnv1a(`${main}\0${statSync(main).mtimeMs}`)}`;
}

/**
 * 40 bits of 64-bit FNV-1a, in hex: an identity, not a secret (the directory's
 * permissions are what keep others out). Not node:crypto: loading it cost every
 * wrapper call about 10 ms on a small machine.
 */
export function fnv1a(text: string): string {
  let h = 0xcbf29ce484222325n;
  for (const b of Buffer.from(text)) h = BigInt.asUintN(64, (h ^ BigInt(b)) * 0x100000001b3n);
  return h.toString(16).padStart(16, '0').slice(0, 10);
}

function uid(): number {
  return typeof process.getuid === 'function' ? process.getuid() : 0;
}

export function agentDir(env: NodeJS.ProcessEnv): string {
  if (env.GOCPU_AGENT_DIR) return env.GOCPU_AGENT_DIR;
  if (env.XDG_RUNTIME_DIR) return join(env.XDG_RUNTIME_DIR, 'gocpu');
  return `/tmp/gocpu-${uid()}`;
}

/** Creates the directory if needed and checks it is private to us; throws AgentDirError. */
export function privateDir(dir: string): string {
  try {
    mkdirSync(dir, { mode: 0o700 });
    chmodSync(dir, 0o700); // against a umask that took bits away, and nothing more
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new AgentDirError(`cannot create ${dir}: ${(e as Error).message}`);
  }
  const st = lstatSync(dir);
  if (st.isSymbolicLink() || !st.isDirectory()) throw new AgentDirError(`${dir} is not a directory of its own (a link?)`);
  if (st.uid !== uid()) throw new AgentDirError(`${dir} belongs to uid ${st.uid}, not to you (uid ${uid()})`);
  if ((st.mode & 0o077) !== 0) throw new AgentDirError(`${dir} is open to others (mode ${(st.mode & 0o777).toString(8)})`);
  return dir;
}

export function socketPath(env: NodeJS.ProcessEnv): string {
  return join(privateDir(agentDir(env)), `agent-${agentKey()}.sock`);
}

/** Beside the socket: the pid of the agent that serves it. */
export function pidFile(socket: string): string {
  return socket.replace(/\.sock$/, '.pid');
}

/** Beside the socket: the lock of the one agent that may serve it (agent-lock.ts, claim.ts). */
export function lockFile(socket: string): string {
  return socket.replace(/\.sock$/, '.lock');
}

/** A connection to the agent's socket at path, or undefined when nothing listens there. */
export function tryConnect(path: string): Promise<Socket | undefined> {
  return new Promise((resolve) => {
    const s = connect(path);
    s.once('connect', () => resolve(s));
    s.once('error', () => resolve(undefined));
  });
}
