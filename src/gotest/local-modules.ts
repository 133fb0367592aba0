/**
 * Modules that a build takes from a local directory: a go.work's `use` entries and the
 * filesystem targets of `replace` (`replace example.com/x => ../x`). They may lie
 * outside the module or workspace root that sourceRoot() names, and their code reads
 * files next to its own source (runtime.Caller paths, a helper module's testdata), so
 * the remote must see them as a local run does (issue 10: a replace to a sibling
 * directory failed remotely with "no such file or directory").
 *
 * Only what go itself applies: in workspace mode the go.work's uses and replaces plus
 * the replaces of each used module's go.mod; in module mode the main module's go.mod
 * replaces. A dependency's own replaces are ignored by go and here.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { findUp } from './module-root.js';

/** Splits a go.mod/go.work line into tokens: words and Go-quoted strings, `//` comments dropped. */
function tokens(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < line.length) {
    const c = line[i];
    if (/\s/.test(c)) {
      i++;
    } else if (line.startsWith('//', i)) {
      break;
    } else if (c === '"' || c === '`') {
      let j = i + 1;
      while (j < line.length && line[j] !== c) j += c === '"' && line[j] === '\\' ? 2 : 1;
      const lit = line.slice(i, j + 1);
      try {
        out.push(c === '`' ? lit.slice(1, -1) : (JSON.parse(lit) as string));
      } catch {
        out.push(lit.slice(1, -1));
      }
      i = j + 1;
    } else {
      let j = i;
      while (j < line.length && !/\s/.test(line[j]) && !line.startsWith('//', j)) j++;
      out.push(line.slice(i, j));
      i = j;
    }
  }
  return out;
}

/** The argument lists of every `verb` directive, single-line or in a `verb ( ... )` block. */
export function directives(text: string, verb: string): string[][] {
  const out: string[][] = [];
  let inBlock = false;
  for (const raw of text.split('\n')) {
    const t = tokens(raw);
    if (inBlock) {
      if (t.length === 1 && t[0] === ')') inBlock = false;
      else if (t.length > 0) out.push(t);
      continue;
    }
    if (t[0] !== verb) continue;
    if (t.length === 2 && t[1] === '(') inBlock = true;
    else out.push(t.slice(1));
  }
  return out;
}

/** go's modfile.IsDirectoryPath: a replacement that names a directory, not a module. */
function isDirectoryPath(p: string): boolean {
  return p === '.' || p === '..' || p.startsWith('./') || p.startsWith('../') || isAbsolute(p);
}

/** The local directories of `replace OLD [V] => NEW` lines whose NEW is a path (no version). */
export function replaceDirs(text: string, base: string): string[] {
  const out: string[] = [];
  for (const args of directives(text, 'replace')) {
    const arrow = args.indexOf('=>');
    if (arrow < 0) continue;
    const rhs = args.slice(arrow + 1);
    if (rhs.length === 1 && isDirectoryPath(rhs[0])) out.push(resolve(base, rhs[0]));
  }
  return out;
}

function read(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** The go.work that applies to a package, as go picks it (GOWORK, else the nearest above). */
function workFile(pkgDir: string, env: NodeJS.ProcessEnv): string | undefined {
  const gowork = env.GOWORK;
  if (gowork === 'off') return undefined;
  if (gowork) return isAbsolute(gowork) && existsSync(gowork) ? gowork : undefined;
  const dir = findUp(pkgDir, 'go.work');
  return dir ? join(dir, 'go.work') : undefined;
}

/** Every local module directory the build of the package in pkgDir may take code from. */
export function localModuleDirs(pkgDir: string, env: NodeJS.ProcessEnv): string[] {
  const modDir = findUp(pkgDir, 'go.mod');
  if (!modDir) return []; // GOPATH mode: no replace, no workspace
  const dirs: string[] = [];
  const work = workFile(pkgDir, env);
  const workText = work ? read(work) : undefined;
  if (work && workText !== undefined) {
    const base = dirname(work);
    const uses = directives(workText, 'use').filter((a) => a.length === 1).map((a) => resolve(base, a[0]));
    dirs.push(...uses, ...replaceDirs(workText, base));
    for (const m of uses) {
      const mod = read(join(m, 'go.mod'));
      if (mod !== undefined) dirs.push(...replaceDirs(mod, m));
    }
  } else {
    const mod = read(join(modDir, 'go.mod'));
    if (mod !== undefined) dirs.push(...replaceDirs(mod, modDir));
  }
  return [...new Set(dirs)].filter(isDir);
}
