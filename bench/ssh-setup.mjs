// The bench's ssh side: an ssh_config with one Host entry per delaying proxy,
// the proxies themselves, and OpenSSH ControlMasters.
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

/** The `export K=V` lines of `hack/testhost env` as an object. */
export function testhostEnv(repo) {
  const out = execFileSync(path.join(repo, 'hack/testhost'), ['env'], { encoding: 'utf8' });
  const env = {};
  for (const m of out.matchAll(/^export ([A-Z0-9_]+)=(.*)$/gm)) env[m[1]] = m[2].replace(/^'(.*)'$/, '$1');
  return env;
}

/** The lines of one `Host NAME` block (up to the next Host/Match line). */
function hostBlock(text, name) {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.trim().split(/\s+/)[0]?.toLowerCase() === 'host' && l.trim().split(/\s+/)[1] === name);
  if (start < 0) throw new Error(`no "Host ${name}" in the test host's ssh_config`);
  let end = start + 1;
  while (end < lines.length && !/^\s*(host|match)\s/i.test(lines[end])) end++;
  return lines.slice(start + 1, end);
}

const value = (block, key) => block.map((l) => l.trim().split(/\s+/)).find((w) => w[0].toLowerCase() === key)?.[1];

/**
 * Writes dir/ssh_config: the test host's own config, plus for each proxy a Host
 * `NAME` that reaches the same sshd through 127.0.0.1:PORT and checks the same
 * known_hosts entry (HostKeyAlias). proxies: [{ name, port }].
 */
export function writeSshConfig(dir, baseConfig, host, proxies) {
  const base = fs.readFileSync(baseConfig, 'utf8');
  const block = hostBlock(base, host);
  const hostName = value(block, 'hostname') ?? host;
  const port = value(block, 'port') ?? '22';
  const alias = port === '22' ? hostName : `[${hostName}]:${port}`;
  const keep = block.filter((l) => !/^\s*(hostname|port|hostkeyalias)\s/i.test(l));
  let text = base;
  for (const p of proxies) {
    text += `\nHost ${p.name}\n  HostName 127.0.0.1\n  Port ${p.port}\n  HostKeyAlias ${alias}\n${keep.join('\n')}\n`;
  }
  const file = path.join(dir, 'ssh_config');
  fs.writeFileSync(file, text);
  return file;
}

/** Starts bench/delay-proxy.mjs in its own process; resolves to { port, stop() }. */
export async function startProxy(rttMs, target) {
  const child = spawn(process.execPath, [path.join(here, 'delay-proxy.mjs'), '--rtt-ms', String(rttMs), '--target', target], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let buf = '';
  const port = await new Promise((resolve, reject) => {
    child.on('exit', (code) => reject(new Error(`delay-proxy exited (${code}) before listening`)));
    child.stdout.on('data', (b) => {
      buf += b;
      const m = /^listening (\d+)$/m.exec(buf);
      if (m) resolve(Number(m[1]));
    });
  });
  child.removeAllListeners('exit');
  return {
    port,
    stop: async () => {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

/** ssh options that make every ssh call go over one ControlMaster at dir/cm-<hash>. */
export const controlOpts = (dir) => ['-o', 'ControlMaster=auto', '-o', `ControlPath=${dir}/cm-%C`, '-o', 'ControlPersist=900'];

/** Starts the master (it backgrounds itself) and returns the options and a stop(). */
export function startControlMaster(sshConfig, host, dir) {
  const opts = controlOpts(dir);
  const ssh = (args, cmd = []) =>
    execFileSync('ssh', ['-F', sshConfig, ...opts, ...args, host, ...cmd], { stdio: ['ignore', 'ignore', 'pipe'] });
  ssh(['-T'], ['true']);
  ssh(['-O', 'check']);
  return {
    opts,
    /** Throws when the master is gone: the timed calls would have opened their own connections. */
    check: () => ssh(['-O', 'check']),
    stop: () => {
      try {
        ssh(['-O', 'exit']);
      } catch {
        // already gone
      }
    },
  };
}
