/**
 * What one SFTP session serves: one run's export table (direct mode: the whole
 * namespace is that run's), or, for the agent's mount shared by the runs on a host
 * (issue 8), one subtree per run: `/<run>/...` is that run's own namespace, with its
 * own table, its own roots (opened when the run is added, by construction as in
 * resolve/roots.ts) and its own lifetime. A path under no current run, and anything a
 * run's walk leads to outside its own table, is "no such file". `/` lists nothing: a
 * run's subtree is found by its name, which only its own view knows. `/@i/<run>` is
 * the run's `/<run>/@i` (see Space.aliasDirs); `/@i` lists nothing either.
 */
import { ExportTable, normalizeVirtualPath } from './exports.js';
import { Roots } from './resolve/roots.js';

export interface Space {
  /** '' for a session of one run, `/<run>` for a run's subtree. */
  prefix: string;
  table: ExportTable;
  roots: Promise<Roots>;
  /**
   * `@0`, `@1`, ...: short names for the run's view exports, so the remote's view binds
   * each with two lookups through FUSE (the run, the alias) instead of one per component
   * of its path: a round trip each on a real link (issue 8). Client paths only: a link's
   * text is resolved as the run's own paths, where no alias exists.
   */
  aliases?: Map<string, string>;
  /** Requests served in this space (server.ts counts them; GOCPU_TRACE shows them). */
  requests?: number;
  /** Told of each request of this space (GOCPU_TRACE: the run's trace shows what its round trips were). */
  onRequest?: (what: string) => void;
  /**
   * The shared mount's root space: `/@i` are empty directories, so that `/@i/<run>` is
   * the run's `@i` (see innerPath). The kernel serializes FUSE lookups in one directory
   * (sshfs 3.7.3, libfuse 3.14: no parallel dirops), so a run's aliases as siblings in
   * `/<run>` cost a round trip each, one after another; in `/@0`, `/@1`, ... (looked up
   * once per mount, then cached) the lookups of `<run>` go out together (run.sh).
   */
  aliasDirs?: boolean;
}

export interface Spaces {
  /** The space a client path lies in (the empty root space when none). */
  of(p: unknown): Space;
  close(): Promise<void>;
}

/**
 * The run-relative path of a normalized client path in `s`, or null when it is not in
 * it; `client`: a path as the client sent it, where the run's aliases count.
 */
export function innerPath(s: Pick<Space, 'prefix' | 'aliases'>, p: string, client = false): string | null {
  let inner: string;
  // `/@i/<run>/...` is `/<run>/@i/...`, for a client path only.
  const flipped = client && s.aliases && s.prefix !== '' ? aliasFirst(p) : null;
  if (flipped && flipped.run === s.prefix) p = `${s.prefix}/${flipped.alias}${flipped.rest}`;
  if (s.prefix === '') inner = p;
  else if (p === s.prefix) inner = '/';
  else if (p.startsWith(s.prefix + '/')) inner = p.slice(s.prefix.length);
  else return null;
  if (!client || !s.aliases) return inner;
  const first = inner.split('/')[1];
  const to = s.aliases.get(first);
  return to === undefined ? inner : to + inner.slice(first.length + 1);
}

const ALIAS = /^@\d+$/;

/** `/@i/<run>/rest` as its parts (run as `/<run>`), or null for any other path. */
function aliasFirst(p: string): { alias: string; run: string; rest: string } | null {
  const parts = p.split('/');
  if (parts.length < 3 || !ALIAS.test(parts[1]) || parts[2] === '') return null;
  return { alias: parts[1], run: `/${parts[2]}`, rest: parts.length > 3 ? `/${parts.slice(3).join('/')}` : '' };
}

/** Whether p (normalized) is one of the shared root's alias directories `/@i`. */
export function isAliasDir(s: Pick<Space, 'aliasDirs'>, p: string): boolean {
  return s.aliasDirs === true && /^\/@\d+$/.test(p);
}

/** The client's path for a run-relative one. */
export function outerPath(s: Pick<Space, 'prefix'>, inner: string): string {
  if (s.prefix === '') return inner;
  return inner === '/' ? s.prefix : s.prefix + inner;
}

export function singleSpace(table: ExportTable, log: (line: string) => void, onRequest?: (what: string) => void): Spaces {
  const space: Space = { prefix: '', table, roots: Roots.open(table, log), onRequest };
  return {
    of: () => space,
    close: async () => (await space.roots).close(),
  };
}

/** A run's name in the shared mount: what the remote's view binds from. */
const NAME = /^[0-9a-f]{8,64}$/;

export class RunSpaces implements Spaces {
  private readonly runs = new Map<string, Space>();
  private readonly empty: Space;

  constructor(private readonly log: (line: string) => void) {
    const table = new ExportTable([]);
    this.empty = { prefix: '', table, roots: Roots.open(table, log), aliasDirs: true };
  }

  /** viewExports: what the run's view binds, `@i` for the i-th (none when a real name could clash). */
  add(name: string, table: ExportTable, viewExports: string[] = [], onRequest?: (what: string) => void): void {
    if (!NAME.test(name)) throw new Error(`not a run name: ${JSON.stringify(name)}`);
    if (this.runs.has(name)) throw new Error(`run ${name} is already served`);
    const clash = table.exports.some((e) => ALIAS.test(e.path.split('/')[1] ?? ''));
    const aliases = clash ? undefined : new Map(viewExports.map((p, i) => [`@${i}`, p]));
    this.runs.set(name, { prefix: `/${name}`, table, roots: Roots.open(table, this.log), aliases, onRequest });
  }

  /** Requests served for the run so far. */
  requests(name: string): number {
    return this.runs.get(name)?.requests ?? 0;
  }

  /** Whether the run's view may bind its exports by alias. */
  aliased(name: string): boolean {
    return this.runs.get(name)?.aliases !== undefined;
  }

  /** From now on the run's paths do not exist; its roots are closed. */
  async remove(name: string): Promise<void> {
    const s = this.runs.get(name);
    this.runs.delete(name);
    if (s) await (await s.roots).close();
  }

  of(p: unknown): Space {
    const n = typeof p === 'string' ? normalizeVirtualPath(p) : null;
    if (n === null || n === '/') return this.empty;
    const flipped = aliasFirst(n);
    return this.runs.get((flipped?.run ?? n).split('/')[1]) ?? this.empty;
  }

  async close(): Promise<void> {
    for (const name of [...this.runs.keys()]) await this.remove(name);
    await (await this.empty.roots).close();
  }
}
