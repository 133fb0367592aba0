/**
 * Run by connect.test.ts in a new session (no controlling terminal, like CI or a
 * detached `go test`): connects with the default prompter and prints one JSON line.
 * Does nothing without its argument, so a test runner that loads it is harmless.
 */
import { connect, closeClient, exec } from '../../../src/ssh/connect.js';
import { resolveHostConfig } from '../../../src/ssh/ssh-config.js';
import { isGocpuError } from '../../../src/errors.js';

const arg = process.argv[2];
if (arg !== undefined) {
  const { destination, configFile } = JSON.parse(arg) as { destination: string; configFile: string };
  const logs: string[] = [];
  try {
    const client = await connect(resolveHostConfig(destination, { configFile }), { log: (l) => logs.push(l) });
    const ch = await exec(client, 'echo hi');
    let out = '';
    ch.on('data', (b: Buffer) => (out += b.toString()));
    await new Promise((r) => ch.on('close', r));
    await closeClient(client);
    process.stdout.write(JSON.stringify({ ok: true, out, logs }) + '\n');
  } catch (e) {
    if (!isGocpuError(e)) throw e;
    process.stdout.write(JSON.stringify({ ok: false, code: e.code, message: e.message, hint: e.hint, logs }) + '\n');
  }
}
