/**
 * A test that fails because it read a local file gocpu did not export (a sibling
 * module's testdata, say) sees only "no such file or directory": on the remote the
 * path is simply not there, and no request reaches our SFTP server to notice. So we
 * watch the test's output for Go's error text (`open PATH: no such file or
 * directory`, from os.Open, os.Stat and friends), and when the test failed and such a
 * path exists here but outside what the run exported, say which "exports" entry would
 * fix it: one line per path, at most three.
 */
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { hiddenSystemDir } from './plan.js';

const ERROR = /\b(?:open|stat|lstat|readlink|opendir|chdir) ([^\s:][^:\n]*): no such file or directory/g;
const MAX_PATHS = 32;

export class MissingPaths {
  private tail = '';
  private readonly seen = new Set<string>();

  constructor(private readonly cwd: string) {}

  feed = (chunk: Buffer): void => {
    if (this.seen.size >= MAX_PATHS) return;
    const text = this.tail + chunk.toString('utf8');
    const cut = text.lastIndexOf('\n');
    const whole = cut === -1 ? '' : text.slice(0, cut);
    this.tail = (cut === -1 ? text : text.slice(cut + 1)).slice(-4096);
    for (const m of whole.matchAll(ERROR)) {
      // go test -json quotes its lines: a path there ends before an escape.
      const p = m[1].replace(/\\.*$/, '');
      this.seen.add(isAbsolute(p) ? p : resolve(this.cwd, p));
      if (this.seen.size >= MAX_PATHS) break;
    }
  };

  /** One hint line for each path that exists here but was not exported (`exported` says). */
  hints(host: string, exported: (path: string) => boolean): string[] {
    const lines: string[] = [];
    for (const p of this.seen) {
      if (lines.length === 3) break;
      if (!existsSync(p) || exported(p)) continue;
      const dir = suggestion(p);
      if (hiddenSystemDir(dir) !== undefined) continue;
      lines.push(`gocpu: local: ${p} exists here but is not exported to ${host}: add {"path": ${JSON.stringify(dir)}} to "exports" in the gocpu config`);
    }
    return lines;
  }
}

/** The module the path is in (its go.mod's directory), else the path's own directory. */
function suggestion(p: string): string {
  for (let d = dirname(p); d !== dirname(d); d = dirname(d)) {
    if (existsSync(join(d, 'go.mod'))) return d;
  }
  return dirname(p);
}
