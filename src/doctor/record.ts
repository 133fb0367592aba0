/**
 * What `gocpu doctor` last found for a host, kept for `gocpu hosts`: one small JSON
 * file per host under ${XDG_CACHE_HOME:-~/.cache}/gocpu/doctor/, written to a
 * temporary name and renamed (a reader never sees half a file). The host is an ssh
 * destination (`me@rpi4`, `[::1]:2222`, an alias): it is escaped byte for byte into
 * a file name that cannot be `.`, `..` or contain `/`, and hashed when too long; the
 * file also names the host, so a reader checks it got the right one.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import type { Row } from './checks.js';

export interface DoctorRecord {
  host: string;
  goarch?: string;
  /** ISO 8601, UTC. */
  at: string;
  ok: boolean;
  /** The first failing check, "check: detail" (first line only). */
  failed?: string;
  /** Checks that passed with a warning. */
  warnings: string[];
}

export function doctorCacheDir(env: NodeJS.ProcessEnv): string {
  const xdg = env.XDG_CACHE_HOME;
  const base = xdg && isAbsolute(xdg) ? xdg : join(env.HOME || homedir(), '.cache');
  return join(base, 'gocpu', 'doctor');
}

/** Letters, digits, `_`, `-`, `@` and inner dots stay; every other byte is %XX. */
export function recordFileName(host: string): string {
  let name = '';
  for (const b of Buffer.from(host)) {
    const c = String.fromCharCode(b);
    name += /[A-Za-z0-9_@-]/.test(c) || (c === '.' && name !== '') ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  if (name === '' || name.length > 200) name = `sha256-${createHash('sha256').update(host).digest('hex')}`;
  return `${name}.json`;
}

export function recordFor(host: string, goarch: string | undefined, rows: readonly Row[], now: Date): DoctorRecord {
  const fail = rows.find((r) => r.verdict === 'fail');
  return {
    host,
    ...(goarch ? { goarch } : {}),
    at: now.toISOString(),
    ok: fail === undefined,
    ...(fail ? { failed: `${fail.check}: ${fail.detail.split('\n')[0]}` } : {}),
    warnings: rows.filter((r) => r.verdict === 'warn').map((r) => r.check),
  };
}

/** Writes the record atomically; throws on failure (doctor turns that into a warning). */
export function writeDoctorRecord(rec: DoctorRecord, env: NodeJS.ProcessEnv): string {
  const dir = doctorCacheDir(env);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, recordFileName(rec.host));
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, JSON.stringify(rec) + '\n', { mode: 0o600 });
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
  return file;
}

/** The last record for host; undefined when doctor never checked it (or the file is not one of ours). */
export function readDoctorRecord(host: string, env: NodeJS.ProcessEnv): DoctorRecord | undefined {
  try {
    const rec = JSON.parse(readFileSync(join(doctorCacheDir(env), recordFileName(host)), 'utf8')) as DoctorRecord;
    if (rec?.host !== host || typeof rec.at !== 'string' || typeof rec.ok !== 'boolean') return undefined;
    return { ...rec, warnings: Array.isArray(rec.warnings) ? rec.warnings : [] };
  } catch {
    return undefined;
  }
}

function when(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** "never checked", "ok (date)" (+ "; warning: a, b"), "failed: check: detail (date)". */
export function describeRecord(rec: DoctorRecord | undefined): string {
  if (!rec) return 'never checked';
  if (!rec.ok) return `failed: ${rec.failed ?? 'unknown check'} (${when(rec.at)})`;
  const warn = rec.warnings.length > 0 ? `; warning: ${rec.warnings.join(', ')}` : '';
  return `ok (${when(rec.at)})${warn}`;
}
