/**
 * The throwaway remote that `hack/testhost up` starts. The suite never starts it itself
 * (that takes a debootstrap and root) and never skips without it: a missing test host is
 * a failure with a message saying how to bring it up.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { repoRoot } from './repo.js';

export interface TestHost {
  /** Every `export K=V` that `hack/testhost env` printed. */
  env: Record<string, string>;
  /** SSH host alias the tool connects to (GOCPU_HOST). */
  host: string;
  /** ssh_config file that describes `host` (GOCPU_SSH_CONFIG). */
  sshConfig: string;
  /** The remote's root directory as seen from this machine (GOCPU_TESTHOST_ROOTFS). */
  rootfs: string;
}

const UP_HINT = 'run `hack/testhost up` (make test does it)';

/**
 * Parses the value part of `export K=V` as sh would for the quoting a script prints:
 * '...' (with '\'' escapes), "..." with backslash escapes, and bare words.
 */
export function parseShellWord(s: string): string {
  let out = '';
  let i = 0;
  while (i < s.length) {
    const ch = s[i];
    if (ch === '$' && s[i + 1] === "'") {
      // bash's printf %q writes $'...' for values with control characters.
      i += 2;
      while (i < s.length && s[i] !== "'") {
        if (s[i] !== '\\') {
          out += s[i++];
          continue;
        }
        const e = s[i + 1];
        const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', a: '\x07', b: '\b', e: '\x1b', f: '\f', v: '\v' };
        if (e in simple) {
          out += simple[e];
          i += 2;
        } else if (e === 'x') {
          const hex = /^[0-9a-fA-F]{1,2}/.exec(s.slice(i + 2))![0];
          out += String.fromCharCode(parseInt(hex, 16));
          i += 2 + hex.length;
        } else if (/[0-7]/.test(e)) {
          const oct = /^[0-7]{1,3}/.exec(s.slice(i + 1))![0];
          out += String.fromCharCode(parseInt(oct, 8));
          i += 1 + oct.length;
        } else {
          out += e;
          i += 2;
        }
      }
      if (i >= s.length) throw new Error(`unterminated $' in ${JSON.stringify(s)}`);
      i++;
    } else if (ch === "'") {
      const end = s.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unterminated ' in ${JSON.stringify(s)}`);
      out += s.slice(i + 1, end);
      i = end + 1;
    } else if (ch === '"') {
      i++;
      while (i < s.length && s[i] !== '"') {
        if (s[i] === '\\' && i + 1 < s.length && '$`"\\\n'.includes(s[i + 1])) i++;
        out += s[i++];
      }
      if (i >= s.length) throw new Error(`unterminated " in ${JSON.stringify(s)}`);
      i++;
    } else if (ch === '\\' && i + 1 < s.length) {
      out += s[i + 1];
      i += 2;
    } else if (/\s/.test(ch)) {
      break; // a trailing comment or a second word: not part of the value
    } else {
      out += ch;
      i++;
    }
  }
  return out;
}

export function parseEnvLines(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(raw);
    if (m) env[m[1]] = parseShellWord(m[2].trim());
  }
  return env;
}

let cached: TestHost | undefined;

/** Reads the test host's coordinates; throws (never skips) when it is not up. */
export function testHost(): TestHost {
  if (cached) return cached;
  const script = path.join(repoRoot, 'hack', 'testhost');
  if (!fs.existsSync(script)) throw new Error(`${script} does not exist yet; ${UP_HINT}`);
  const hostScript = (cmd: string): string => {
    try {
      return execFileSync(script, [cmd], { cwd: repoRoot, encoding: 'utf8', timeout: 30_000, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      const err = e as { stderr?: string; message: string };
      const detail = (err.stderr ?? '').trim() || err.message;
      throw new Error(`the test host is not up: \`hack/testhost ${cmd}\` failed (${detail}); ${UP_HINT}`);
    }
  };
  // `env` prints the coordinates whether or not the host runs; `status` checks that it does.
  hostScript('status');
  const text = hostScript('env');
  const env = parseEnvLines(text);
  const need = ['GOCPU_SSH_CONFIG', 'GOCPU_HOST', 'GOCPU_TESTHOST_ROOTFS'];
  const missing = need.filter((k) => !env[k]);
  if (missing.length > 0) {
    throw new Error(`\`hack/testhost env\` printed no ${missing.join(', ')}; ${UP_HINT}\n--- it printed:\n${text}`);
  }
  const th: TestHost = {
    env,
    host: env.GOCPU_HOST,
    sshConfig: env.GOCPU_SSH_CONFIG,
    rootfs: env.GOCPU_TESTHOST_ROOTFS,
  };
  if (!fs.existsSync(th.sshConfig)) throw new Error(`GOCPU_SSH_CONFIG=${th.sshConfig} does not exist; ${UP_HINT}`);
  if (!fs.existsSync(path.join(th.rootfs, 'etc'))) {
    throw new Error(`GOCPU_TESTHOST_ROOTFS=${th.rootfs} has no etc/; ${UP_HINT}`);
  }
  cached = th;
  return th;
}

/**
 * Writes a file that only the remote has (under its rootfs, at `remotePath` as the
 * remote sees it) and returns a function that removes it again.
 */
export function writeRemoteFile(remotePath: string, content: string): () => void {
  const th = testHost();
  const local = path.join(th.rootfs, remotePath);
  fs.mkdirSync(path.dirname(local), { recursive: true });
  fs.writeFileSync(local, content, { mode: 0o644 });
  return () => fs.rmSync(local, { force: true });
}

/** Does the remote have this path (as the remote sees it, outside any gocpu mount)? */
export function remoteHas(remotePath: string): boolean {
  return fs.existsSync(path.join(testHost().rootfs, remotePath));
}

export function randomToken(bytes = 8): string {
  return randomBytes(bytes).toString('hex');
}
