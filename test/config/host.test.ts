import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveTargetHost } from '../../src/config/host.js';
import { GocpuError } from '../../src/errors.js';

const arm64 = { goos: 'linux', goarch: 'arm64' } as const;

test('per-target env beats GOCPU_HOST beats the config file', () => {
  const config = { hosts: { 'linux/arm64': ['cfg1', 'cfg2'] } };
  assert.equal(resolveTargetHost(arm64, { GOCPU_HOST_LINUX_ARM64: 'a', GOCPU_HOST: 'b' }, config), 'a');
  assert.equal(resolveTargetHost(arm64, { GOCPU_HOST: 'b' }, config), 'b');
  assert.equal(resolveTargetHost(arm64, {}, config), 'cfg1');
  assert.equal(resolveTargetHost(arm64, {}, { hosts: { arm64: 'short' } }), 'short');
});

test('no host is one clear error that says how to set one', () => {
  assert.throws(() => resolveTargetHost(arm64, { HOME: '/h' }, {}), (e: unknown) => {
    assert.ok(e instanceof GocpuError);
    assert.equal(e.code, 'NO_HOST');
    assert.match(e.oneLine(), /GOCPU_HOST_LINUX_ARM64=user@host/);
    return true;
  });
});
