import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostsFor, resolveTargetHost, slotsFor, targetHosts } from '../../src/config/host.js';
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

test('a host list is a pool: comma-separated in the environment, a list in the config file', () => {
  assert.deepEqual(hostsFor(arm64, { GOCPU_HOST_LINUX_ARM64: 'a, b,,a ,c', GOCPU_HOST: 'x' }, {}), ['a', 'b', 'c']);
  assert.deepEqual(hostsFor(arm64, { GOCPU_HOST: 'x,y' }, { hosts: { arm64: ['z'] } }), ['x', 'y']);
  assert.deepEqual(hostsFor(arm64, {}, { hosts: { 'linux/arm64': ['p', 'q', 'p'] } }), ['p', 'q']);
  assert.deepEqual(targetHosts(arm64, { GOCPU_HOST: 'x,y' }, {}), ['x', 'y']);
  assert.equal(resolveTargetHost(arm64, { GOCPU_HOST: 'x,y' }, {}), 'x', 'doctor and a pool of one take the first');
  assert.throws(() => targetHosts(arm64, { GOCPU_HOST: ' , ', HOME: '/h' }, {}), /no host configured/);
});

test('slots: GOCPU_SLOTS for every host, else the config file per host, else unknown (ask the host)', () => {
  const config = { slots: { a: 2 } };
  assert.equal(slotsFor('a', {}, config), 2);
  assert.equal(slotsFor('b', {}, config), undefined);
  assert.equal(slotsFor('a', { GOCPU_SLOTS: '5' }, config), 5);
  assert.equal(slotsFor('b', { GOCPU_SLOTS: '5' }, config), 5);
  assert.equal(slotsFor('b', { GOCPU_SLOTS: '' }, config), undefined);
  for (const bad of ['0', '-1', '1.5', 'many']) {
    assert.throws(() => slotsFor('a', { GOCPU_SLOTS: bad }, config), (e: unknown) => e instanceof GocpuError && e.code === 'CONFIG_SLOTS' && e.message.includes(bad));
  }
  assert.throws(() => slotsFor('a', { HOME: '/h' }, { slots: { a: 0 } }), (e: unknown) => e instanceof GocpuError && e.code === 'CONFIG_SLOTS' && /"slots" for a is 0/.test(e.message));
});
