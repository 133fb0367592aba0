/**
 * known_hosts(5) lookup as OpenSSH 9.x hostfile.c does it: comma lists of patterns with
 * `*`, `?` and `!negation`, hashed `|1|salt|hmac` names (HMAC-SHA1), `[host]:port` names
 * off port 22, `@revoked` lines, `@cert-authority` lines skipped (ssh2 offers no host
 * certificates, so a CA line can never vouch for a plain key).
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { appendFileSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { hostPort } from './destination.js';
import { matchPatternList } from './pattern.js';

export interface KnownHostEntry {
  file: string;
  line: number;
  marker?: 'revoked' | 'cert-authority';
  hosts: string;
  keyType: string;
  key: Buffer;
}

export interface KeyRef {
  file: string;
  line: number;
  keyType: string;
}

export type HostKeyStatus =
  | { status: 'ok'; file: string; line: number }
  | { status: 'unknown'; otherKeys: KeyRef[] }
  | { status: 'changed'; file: string; line: number; expectedType: string }
  | { status: 'revoked'; file: string; line: number };

/** The algorithm name inside an SSH public key blob (string type, then key data). */
export function keyTypeOfBlob(blob: Buffer): string {
  if (blob.length < 4) return '';
  const len = blob.readUInt32BE(0);
  return len <= blob.length - 4 ? blob.subarray(4, 4 + len).toString('latin1') : '';
}

/** `SHA256:...` as ssh-keygen -l prints it. */
export function fingerprint(blob: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(blob).digest('base64').replace(/=+$/, '');
}

/** The name ssh looks up: HostKeyAlias as is, else `host` on port 22 and `[host]:port` elsewhere. */
export function knownHostsName(host: string, port: number, hostKeyAlias?: string): string {
  return hostKeyAlias ?? hostPort(host.toLowerCase(), port);
}

export function parseKnownHosts(text: string, file: string): KnownHostEntry[] {
  const out: KnownHostEntry[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const fields = lines[i].trim().split(/[ \t]+/);
    if (fields[0] === '' || fields[0].startsWith('#')) continue;
    let marker: KnownHostEntry['marker'];
    if (fields[0].startsWith('@')) {
      if (fields[0] === '@revoked') marker = 'revoked';
      else if (fields[0] === '@cert-authority') marker = 'cert-authority';
      else continue; // unknown marker: hostfile.c skips the line
      fields.shift();
    }
    const [hosts, keyType, b64] = fields;
    if (hosts === undefined || keyType === undefined || b64 === undefined) continue;
    if (!/^[A-Za-z0-9+/]+=*$/.test(b64)) continue; // e.g. an SSH1 "bits e n" line
    const key = Buffer.from(b64, 'base64');
    if (keyTypeOfBlob(key) !== keyType) continue;
    out.push({ file, line: i + 1, marker, hosts, keyType, key });
  }
  return out;
}

function hashedMatches(hosts: string, name: string): boolean {
  const parts = hosts.split('|'); // ['', '1', salt, hmac]
  if (parts.length !== 4 || parts[1] !== '1') return false;
  const salt = Buffer.from(parts[2], 'base64');
  const want = Buffer.from(parts[3], 'base64');
  const got = createHmac('sha1', salt).update(name).digest();
  return want.length === got.length && want.equals(got);
}

export function entryMatchesName(entry: KnownHostEntry, name: string): boolean {
  if (entry.hosts.startsWith('|')) return hashedMatches(entry.hosts, name);
  return matchPatternList(name, entry.hosts, true) === 1;
}

function readEntries(files: readonly string[], name: string): KnownHostEntry[] {
  const out: KnownHostEntry[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue; // a missing known_hosts file is normal (~/.ssh/known_hosts2)
    }
    for (const e of parseKnownHosts(text, file)) if (entryMatchesName(e, name)) out.push(e);
  }
  return out;
}

export function checkHostKey(
  files: readonly string[], host: string, port: number, keyType: string, keyBlob: Buffer, hostKeyAlias?: string,
): HostKeyStatus {
  const entries = readEntries(files, knownHostsName(host, port, hostKeyAlias));
  const revoked = entries.find((e) => e.marker === 'revoked' && e.key.equals(keyBlob));
  if (revoked) return { status: 'revoked', file: revoked.file, line: revoked.line };
  const plain = entries.filter((e) => e.marker === undefined);
  const ok = plain.find((e) => e.keyType === keyType && e.key.equals(keyBlob));
  if (ok) return { status: 'ok', file: ok.file, line: ok.line };
  const changed = plain.find((e) => e.keyType === keyType);
  if (changed) return { status: 'changed', file: changed.file, line: changed.line, expectedType: changed.keyType };
  return { status: 'unknown', otherKeys: plain.map((e) => ({ file: e.file, line: e.line, keyType: e.keyType })) };
}

/** Key types known for this host, in file order: offered first so the server picks one we can check. */
export function knownKeyTypes(files: readonly string[], host: string, port: number, hostKeyAlias?: string): string[] {
  const types: string[] = [];
  for (const e of readEntries(files, knownHostsName(host, port, hostKeyAlias))) {
    if (e.marker === undefined && !types.includes(e.keyType)) types.push(e.keyType);
  }
  return types;
}

/** One known_hosts line; hashed like `ssh-keygen -H` when `hash` is set. */
export function formatKnownHost(name: string, keyBlob: Buffer, hash: boolean): string {
  let hosts = name;
  if (hash) {
    const salt = randomBytes(20);
    hosts = `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`;
  }
  return `${hosts} ${keyTypeOfBlob(keyBlob)} ${keyBlob.toString('base64')}`;
}

function endsWithNewline(file: string): boolean {
  const size = statSync(file).size;
  if (size === 0) return true;
  const fd = openSync(file, 'r');
  try {
    const b = Buffer.alloc(1);
    readSync(fd, b, 0, 1, size - 1);
    return b[0] === 0x0a;
  } finally {
    closeSync(fd);
  }
}

/** Appends a line, creating the directory (0700) and file (0600) like ssh does. */
export function appendKnownHost(file: string, line: string): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const sep = existsSync(file) && !endsWithNewline(file) ? '\n' : '';
  appendFileSync(file, `${sep}${line}\n`, { mode: 0o600 });
}
