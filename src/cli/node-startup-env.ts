/**
 * NODE_EXTRA_CA_CERTS, kept away from gocpu's own node processes.
 *
 * Node 20 reads and parses that file as it starts, before any of our code runs:
 * 40 to 50 ms of CPU per start on the machine `make bench` runs on (where it names
 * the system's whole CA bundle), paid by every wrapper call, and a warning on
 * stderr, in go's output, when the file cannot be read. gocpu makes no TLS
 * connection. So bin/gocpu (the launcher) starts node with it set aside as
 * GOCPU_NODE_EXTRA_CA_CERTS, and so does the agent's start (src/agent/start.ts);
 * the first thing either process does is put it back into process.env, so that
 * what we start (ssh -G, a ProxyCommand, go env) sees the user's environment as it
 * was. Neither name travels to the remote (src/config/env-filter.ts: NODE_*, GOCPU_*).
 */
const NAME = 'NODE_EXTRA_CA_CERTS';
export const ASIDE = 'GOCPU_NODE_EXTRA_CA_CERTS';

/** A copy of env for a node process of ours: NODE_EXTRA_CA_CERTS set aside. */
export function setAside(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out = { ...env };
  delete out[ASIDE];
  if (out[NAME] !== undefined) {
    out[ASIDE] = out[NAME];
    delete out[NAME];
  }
  return out;
}

/** Puts NODE_EXTRA_CA_CERTS back where setAside (or the launcher) took it from. */
export function putBack(env: NodeJS.ProcessEnv = process.env): void {
  const v = env[ASIDE];
  if (v === undefined) return;
  delete env[ASIDE];
  env[NAME] = v;
}
