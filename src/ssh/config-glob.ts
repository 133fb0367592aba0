/**
 * glob(3) for ssh_config `Include` (Node 20 has no fs.globSync): `*`, `?`, `[...]` per path
 * segment, wildcards never match a leading dot, results in byte order like glob's sort
 * in the C locale, and only existing paths are returned (no GLOB_NOCHECK).
 */
import { readdirSync } from 'node:fs';
import { lexists } from '../util/lexists.js';

const MAGIC = /[*?[]/;

function segmentRegex(seg: string): RegExp {
  let re = '';
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i];
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '\\' && i + 1 < seg.length) re += escape(seg[++i]);
    else if (c === '[') {
      const close = seg.indexOf(']', i + 2);
      if (close < 0) {
        re += '\\[';
        continue;
      }
      let body = seg.slice(i + 1, close);
      const negate = body.startsWith('!') || body.startsWith('^');
      if (negate) body = body.slice(1);
      re += `[${negate ? '^' : ''}${body.replace(/[\\\]^]/g, '\\$&')}]`;
      i = close;
    } else re += escape(c);
  }
  return new RegExp(`^${re}$`, 's');
}

function escape(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}


export function globSync(pattern: string): string[] {
  if (!MAGIC.test(pattern)) return lexists(pattern) ? [pattern] : [];
  const absolute = pattern.startsWith('/');
  const segs = pattern.split('/').filter((s, i) => s !== '' || i === 0);
  let found: string[] = [absolute ? '' : '.'];
  for (const seg of absolute ? segs.slice(1) : segs) {
    const next: string[] = [];
    for (const base of found) {
      const dir = base === '' ? '/' : base;
      if (!MAGIC.test(seg)) {
        next.push(`${base}/${seg}`);
        continue;
      }
      const re = segmentRegex(seg);
      let names: string[];
      try {
        names = readdirSync(dir);
      } catch {
        continue;
      }
      for (const name of names) {
        if (name.startsWith('.') && !seg.startsWith('.')) continue;
        if (re.test(name)) next.push(`${base}/${name}`);
      }
    }
    found = next;
  }
  const out = found.map((p) => (absolute ? p : p.replace(/^\.\//, ''))).filter(lexists);
  return out.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}
