/**
 * Loads IdentityFile keys for auth.ts. Besides the private key it finds the public key
 * without a passphrase (from `file.pub`, or from the clear-text header of an
 * openssh-key-v1 file) so a key the agent already holds is not tried, or prompted for,
 * a second time.
 */
import { readFileSync } from 'node:fs';
import ssh2 from 'ssh2';
import type { ParsedKey } from 'ssh2';

export type Identity =
  | { kind: 'key'; key: ParsedKey; publicBlob: Buffer }
  | { kind: 'encrypted'; data: Buffer; publicBlob?: Buffer }
  | { kind: 'missing' }
  | { kind: 'invalid'; reason: string };

function firstKey(k: ParsedKey | ParsedKey[] | Error): ParsedKey | Error {
  return Array.isArray(k) ? k[0] : k;
}

/** The public key blob stored in the clear inside an openssh-key-v1 private key file. */
function opensshPublicBlob(text: string): Buffer | undefined {
  const m = /-----BEGIN OPENSSH PRIVATE KEY-----([\s\S]*?)-----END OPENSSH PRIVATE KEY-----/.exec(text);
  if (!m) return undefined;
  const b = Buffer.from(m[1].replace(/\s+/g, ''), 'base64');
  const magic = 'openssh-key-v1\0';
  if (b.subarray(0, magic.length).toString('latin1') !== magic) return undefined;
  let p = magic.length;
  const str = (): Buffer | undefined => {
    if (p + 4 > b.length) return undefined;
    const len = b.readUInt32BE(p);
    if (p + 4 + len > b.length) return undefined;
    const s = b.subarray(p + 4, p + 4 + len);
    p += 4 + len;
    return s;
  };
  str(); // cipher
  str(); // kdf name
  str(); // kdf options
  p += 4; // number of keys; files written by ssh-keygen hold one
  return str();
}

function publicFromPubFile(path: string): Buffer | undefined {
  try {
    const k = firstKey(ssh2.utils.parseKey(readFileSync(`${path}.pub`)));
    return k instanceof Error ? undefined : k.getPublicSSH();
  } catch {
    return undefined;
  }
}

/** The public key for an identity file, without asking for a passphrase. */
export function identityPublicBlob(path: string): Buffer | undefined {
  const pub = publicFromPubFile(path);
  if (pub) return pub;
  try {
    const id = readIdentity(path);
    return id.kind === 'key' || id.kind === 'encrypted' ? id.publicBlob : undefined;
  } catch {
    return undefined;
  }
}

export function readIdentity(path: string): Identity {
  let data: Buffer;
  try {
    data = readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { kind: 'missing' };
    return { kind: 'invalid', reason: (e as Error).message };
  }
  const parsed = firstKey(ssh2.utils.parseKey(data));
  if (parsed instanceof Error) {
    if (/no passphrase given/i.test(parsed.message)) {
      return { kind: 'encrypted', data, publicBlob: publicFromPubFile(path) ?? opensshPublicBlob(data.toString('latin1')) };
    }
    return { kind: 'invalid', reason: parsed.message };
  }
  if (!parsed.isPrivateKey()) return { kind: 'invalid', reason: 'not a private key' };
  return { kind: 'key', key: parsed, publicBlob: parsed.getPublicSSH() };
}

/** Decrypts with a passphrase: the key, 'bad-passphrase', or another parse error. */
export function decryptIdentity(data: Buffer, passphrase: string): ParsedKey | 'bad-passphrase' | Error {
  const k = firstKey(ssh2.utils.parseKey(data, passphrase));
  if (k instanceof Error) return /bad passphrase|integrity check failed|bad decrypt/i.test(k.message) ? 'bad-passphrase' : k;
  return k;
}
