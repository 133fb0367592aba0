import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { ERROR_CODES, HEARTBEAT, renderPrelude, reservedEnvName, REMOTE_TOOLS, RUN_FILES } from '../../src/remote/contract.js';
import { PART_LINE, PRELUDE_LINE, remoteScript, scriptWithParts, type ScriptName } from '../../src/remote/scripts.js';
import { repoRoot } from '../e2e/repo.js';

const remoteDir = join(repoRoot, 'src', 'remote');
const SCRIPTS: ScriptName[] = ['mount', 'run', 'view', 'exec', 'watch', 'doctor', 'kill', 'ctl', 'upload', 'copy', 'spare'];

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

test('src/remote/prelude.sh is what contract.ts renders (`make prelude` rewrites it)', () => {
  assert.equal(readFileSync(join(remoteDir, 'prelude.sh'), 'utf8'), renderPrelude());
});

const remoteFiles = () => readdirSync(remoteDir).filter((n) => n.endsWith('.sh') && n !== 'prelude.sh').map((n) => n.slice(0, -3)).sort();

test('every remote script sources the prelude, and is shipped with its text and its parts\' in place', () => {
  const shipped = remoteFiles().filter((n) => !n.includes('-'));
  assert.deepEqual(shipped, [...SCRIPTS].sort(), 'a new script must be listed in ScriptName');
  const parts = remoteFiles().filter((n) => n.includes('-'));
  assert.ok(parts.length > 0);
  const sourced: string[] = [];
  for (const s of SCRIPTS) {
    const raw = readFileSync(join(remoteDir, `${s}.sh`), 'utf8');
    assert.ok(raw.split('\n').includes(PRELUDE_LINE), `${s}.sh`);
    sourced.push(...raw.split('\n').flatMap((l) => PART_LINE.exec(l)?.[1] ?? []));
    const text = remoteScript(s);
    assert.ok(!text.split('\n').some((l) => l === PRELUDE_LINE || PART_LINE.test(l) || /^\s*\. /.test(l)), `${s}.sh shipped`);
    assert.ok(text.includes(renderPrelude().trimEnd()), `${s}.sh shipped`);
    for (const p of parts.filter((n) => n.startsWith(`${s}-`))) {
      assert.ok(text.includes(readFileSync(join(remoteDir, `${p}.sh`), 'utf8').trimEnd()), `${p}.sh in ${s}.sh shipped`);
    }
    const r = spawnSync('sh', ['-n', '-c', text]);
    assert.equal(r.status, 0, `${s}.sh: ${r.stderr}`);
  }
  // Each part is sourced once, by its script, and sources nothing itself.
  assert.deepEqual(sourced.sort(), parts);
  for (const p of parts) assert.ok(!readFileSync(join(remoteDir, `${p}.sh`), 'utf8').split('\n').some((l) => /^\s*\. /.test(l)), p);
});

test('the run dir and the base dir are spelled once in src/', () => {
  const files = walk(join(repoRoot, 'src')).filter((f) => /\.(ts|sh)$/.test(f));
  const hits = (re: RegExp) => files.flatMap((f) => readFileSync(f, 'utf8').split('\n').filter((l) => re.test(l)).map((l) => `${f}: ${l}`));
  assert.deepEqual(hits(/gocpu\.\$/).length, 1, hits(/gocpu\.\$/).join('\n'));
  const shTmp = files.filter((f) => f.endsWith('.sh')).flatMap((f) => readFileSync(f, 'utf8').includes('TMPDIR') ? [f] : []);
  assert.deepEqual(shTmp.map((f) => f.slice(remoteDir.length + 1)), ['prelude.sh']);
  // No remote shell inline in TypeScript: every `sh -c` runs a script file.
  for (const f of files.filter((x) => x.endsWith('.ts'))) {
    const t = readFileSync(f, 'utf8');
    for (const m of t.matchAll(/'sh', '-c', ([^,\]]+)/g)) assert.match(m[1], /^remoteScript\(/, `${f}: inline shell ${m[1]}`);
  }
});

test('the error codes the scripts send are the contract\'s, and each is sent', () => {
  for (const [script, codes] of Object.entries(ERROR_CODES)) {
    // As shipped: the prelude's helpers (gocpu_own_run_dir) send codes for the script.
    const own = scriptWithParts(script as ScriptName);
    const text = own.includes('gocpu_own_run_dir') ? remoteScript(script as ScriptName) : own;
    const used = new Set([...text.matchAll(/gocpu_(?:fail|say error) ([a-z-]+)/g)].map((m) => m[1]));
    assert.deepEqual([...used].sort(), [...codes].sort(), script);
  }
});

test('the contract names each file, byte and tool once', () => {
  assert.equal(new Set(Object.values(RUN_FILES)).size, Object.values(RUN_FILES).length);
  assert.equal(new Set(Object.values(HEARTBEAT)).size, Object.values(HEARTBEAT).length);
  for (const b of Object.values(HEARTBEAT)) assert.equal(b.length, 1);
  assert.equal(new Set(REMOTE_TOOLS.map((t) => t.name)).size, REMOTE_TOOLS.length);
  const prelude = renderPrelude();
  for (const t of REMOTE_TOOLS) assert.match(prelude, new RegExp(`gocpu_tools='[^']*\\b${t.name}\\b`));
});

test('reserved environment names: the shell\'s special ones and our prefix', () => {
  for (const n of ['UID', 'EUID', 'PPID', 'SHELLOPTS', 'BASHOPTS', 'OPTIND', 'IFS', 'PS1', 'PS4', 'ENV', 'LINENO', 'RANDOM', 'SECONDS', 'BASH_ENV', 'BASH_FUNC_x', 'FUNCNAME', 'GROUPS', 'HISTCMD', 'gocpu_env']) {
    assert.ok(reservedEnvName(n), n);
  }
  for (const n of ['nonce', 'merge', 'GOFLAGS_X', 'LC_ALL', 'LANG', 'GOCPU_X', 'BASHFUL', 'uid']) assert.ok(!reservedEnvName(n), n);
});

test('gocpu_setsid_fork: true for a setsid with --fork and --wait, false for an old one (run.sh then execs nsenter)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gocpu-setsid-'));
  try {
    const probe = `${renderPrelude()}\nif gocpu_setsid_fork; then echo yes; else echo no; fi\n`;
    assert.equal(spawnSync('sh', ['-c', probe]).stdout.toString(), 'yes\n', 'this machine\'s util-linux');
    // util-linux 2.2x's help: --ctty and --wait, no --fork.
    writeFileSync(join(dir, 'setsid'), '#!/bin/sh\nprintf \'%s\\n\' "Usage:" " setsid [options] <program> [arguments ...]" " -c, --ctty     set the controlling terminal to the current one" " -w, --wait     wait program to exit, and use the same return"\n', { mode: 0o755 });
    const old = spawnSync('sh', ['-c', `PATH=${dir}:$PATH\n${probe}`]);
    assert.equal(old.stdout.toString(), 'no\n');
    const none = spawnSync('sh', ['-c', `PATH=/nonexistent\n${probe}`]);
    assert.equal(none.stdout.toString(), 'no\n');
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('gocpu_remove_dir_after: a run half that writes its end into the dir as it is removed does not leave it behind', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gocpu-remove-'));
  try {
    // rm is ours: once it has removed the run's files, the stand-in run half's end
    // arrives (as run.sh writes it when the holder's death wakes it), and the stand-in
    // goes only after that. rmdir then finds the dir not empty.
    const script = (remove: string) => `${renderPrelude()}
t=$1 d=$1/gocpu.test
mkdir -m 700 "$d" "$d/mnt" "$d/root" && echo $$ >"$d/mount.pid" && mkfifo "$t/go" || exit 1
sh -c 'read w <"$1"' run-half "$t/go" &
echo $! >"$d/run.pid"
first=1
rm() {
  command rm "$@"
  if [ -n "$first" ]; then
    first=
    echo "e 0" >"$d/end"
    (echo go >"$t/go") &
  fi
}
${remove}
if [ -e "$d" ]; then echo "left: $(ls -A "$d")"; else echo gone; fi
wait
`;
    const run = (remove: string, sub: string) => {
      const t = join(dir, sub);
      mkdirSync(t);
      const r = spawnSync('sh', ['-c', script(remove), 'test', t], { timeout: 20_000 });
      return `${r.stdout.toString()}${r.stderr.toString()}`;
    };
    assert.equal(run('gocpu_remove_dir_after "$d"', 'a'), 'gone\n');
    // What the removal alone left: the end the run half wrote as the dir went.
    assert.equal(run('gocpu_remove_dir "$d"', 'b'), 'left: end\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
