import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LINUX_GOARCHES, targetFromElf, targetFromProgramName } from '../../src/config/target.js';
import { tempDirUntilExit } from '../temp-dir.js';

test('wrapper names map to their target', () => {
  assert.deepEqual(targetFromProgramName('go_linux_arm64_exec'), { goos: 'linux', goarch: 'arm64' });
  assert.deepEqual(targetFromProgramName('go_linux_mips64le_exec'), { goos: 'linux', goarch: 'mips64le' });
  assert.equal(targetFromProgramName('go_darwin_arm64_exec'), undefined);
  assert.equal(targetFromProgramName('gocpu'), undefined);
});

test('the ELF header of a real Go binary names its GOARCH, for every Linux port', () => {
  const dir = tempDirUntilExit('gocpu-elf-');
  writeFileSync(join(dir, 'go.mod'), 'module x\ngo 1.19\n');
  writeFileSync(join(dir, 'main.go'), 'package main\nfunc main() {}\n');
  for (const arch of LINUX_GOARCHES) {
    const out = join(dir, `x-${arch}`);
    execFileSync('go', ['build', '-o', out, '.'], { cwd: dir, env: { ...process.env, GOOS: 'linux', GOARCH: arch, CGO_ENABLED: '0' } });
    assert.deepEqual(targetFromElf(out), { goos: 'linux', goarch: arch }, arch);
  }
  writeFileSync(join(dir, 'script'), '#!/bin/sh\n');
  assert.equal(targetFromElf(join(dir, 'script')), undefined);
});
