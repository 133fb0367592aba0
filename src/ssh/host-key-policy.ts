/**
 * Decides whether to trust the host key the server offered, following OpenSSH's
 * StrictHostKeyChecking: yes refuses unknown and changed keys; accept-new adds unknown
 * keys to the first UserKnownHostsFile and refuses changed ones; no/off adds unknown keys
 * and lets a changed key through with a warning (auth.ts then drops password auth, as
 * ssh does). 'ask' (OpenSSH's default) behaves like 'yes': we cannot prompt in the middle
 * of `go test`, and the error tells the user how to accept the key with ssh itself.
 * A revoked key is refused whatever the setting.
 */
import { GocpuError } from '../errors.js';
import { shellQuote } from '../util/shell-quote.js';
import { tildify } from './config-tokens.js';
import {
  appendKnownHost, checkHostKey, fingerprint, formatKnownHost, keyTypeOfBlob, knownHostsName,
} from './known-hosts.js';
import type { HostConfig } from './ssh-config.js';

export type HostKeyPolicyConfig = Pick<HostConfig,
  'alias' | 'hostName' | 'port' | 'hostKeyAlias' | 'userKnownHostsFiles' | 'globalKnownHostsFiles'
  | 'strictHostKeyChecking' | 'hashKnownHosts' | 'homeDir' | 'resolveOptions'>;

export interface HostKeyVerdict {
  accept: boolean;
  /** Why not, when accept is false. */
  error?: GocpuError;
  /** Lines worth showing the user even when accepted (key added, key changed but allowed). */
  warnings: string[];
  /** Accepted although known_hosts has a different key: only public-key auth is safe then. */
  keyChanged: boolean;
}

/** The ssh command a user can run to look at and accept the key with OpenSSH's own prompt. */
function sshCommand(cfg: HostKeyPolicyConfig): string {
  const parts = ['ssh'];
  const f = cfg.resolveOptions.configFile;
  if (f !== undefined) parts.push('-F', shellQuote(f));
  if (cfg.port !== 22) parts.push('-p', String(cfg.port));
  parts.push(shellQuote(cfg.alias));
  return parts.join(' ');
}

export function verifyHostKey(cfg: HostKeyPolicyConfig, keyBlob: Buffer): HostKeyVerdict {
  const files = [...cfg.userKnownHostsFiles, ...cfg.globalKnownHostsFiles];
  const keyType = keyTypeOfBlob(keyBlob);
  const name = knownHostsName(cfg.hostName, cfg.port, cfg.hostKeyAlias);
  const offered = `${keyType} ${fingerprint(keyBlob)}`;
  const home = (p: string): string => tildify(p, cfg.homeDir);
  const r = checkHostKey(files, cfg.hostName, cfg.port, keyType, keyBlob, cfg.hostKeyAlias);
  const strict = cfg.strictHostKeyChecking;
  const lax = strict === 'no' || strict === 'off';

  switch (r.status) {
    case 'ok':
      return { accept: true, warnings: [], keyChanged: false };
    case 'revoked':
      return {
        accept: false, warnings: [], keyChanged: false,
        error: new GocpuError('SSH_HOST_KEY_REVOKED', `host key for ${name} (${offered}) is marked @revoked in ${home(r.file)}:${r.line}`, {
          hint: 'the server needs a new host key; do not connect to it until an admin has replaced it',
        }),
      };
    case 'changed': {
      const where = `${home(r.file)}:${r.line}`;
      if (lax) {
        return {
          accept: true, keyChanged: true,
          warnings: [`WARNING: host key for ${name} differs from ${where}; connecting anyway because StrictHostKeyChecking=no (password auth disabled)`],
        };
      }
      return {
        accept: false, warnings: [], keyChanged: false,
        error: new GocpuError('SSH_HOST_KEY_CHANGED',
          `host key for ${name} has CHANGED: the server offered ${offered}, but ${where} has a different ${r.expectedType} key (someone may be intercepting the connection)`, {
            hint: `if the change is expected, remove the old key with \`ssh-keygen -R ${shellQuote(name)} -f ${shellQuote(r.file)}\` and connect again`,
          }),
      };
    }
    case 'unknown': {
      if (lax || strict === 'accept-new') {
        const warnings: string[] = [];
        const target = cfg.userKnownHostsFiles[0];
        if (target !== undefined) {
          try {
            appendKnownHost(target, formatKnownHost(name, keyBlob, cfg.hashKnownHosts));
            warnings.push(`added host key for ${name} (${offered}) to ${home(target)}`);
          } catch (e) {
            // ssh too goes on when it cannot record the key ("Failed to add the host...")
            warnings.push(`could not add host key for ${name} to ${home(target)}: ${(e as Error).message}`);
          }
        }
        return { accept: true, warnings, keyChanged: false };
      }
      const others = r.otherKeys.length
        ? `; known_hosts has only ${r.otherKeys.map((k) => `${k.keyType} (${home(k.file)}:${k.line})`).join(', ')} for it`
        : '';
      const addTo = home(cfg.userKnownHostsFiles[0] ?? cfg.globalKnownHostsFiles[0] ?? '~/.ssh/known_hosts');
      return {
        accept: false, warnings: [], keyChanged: false,
        error: new GocpuError('SSH_HOST_KEY_UNKNOWN', `host key for ${name} is not known (server offered ${offered})${others}`, {
          hint: `run \`${sshCommand(cfg)}\` once to check and accept it, or add it to ${addTo}`,
        }),
      };
    }
  }
}
