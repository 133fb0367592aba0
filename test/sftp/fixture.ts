/**
 * A real directory tree to export, with every kind of symlink the confinement must judge,
 * and a server + hand-written client pair over in-memory pipes.
 *
 *   <root>/ro/                read-only export (a module tree)
 *     hello.txt, sub/deep.txt, big.bin (3 MiB)
 *     rel-good  -> sub/deep.txt            relative, inside
 *     sub/up    -> ../hello.txt            relative with .., inside
 *     abs-good  -> <root>/rw/data.txt      absolute, into another export
 *     abs-bad   -> /etc/passwd             absolute, outside
 *     rel-bad   -> ../secret/secret.txt    relative, outside
 *     dir-bad   -> ../secret               directory, outside
 *     bin/                    writable export inside the read-only one
 *   <root>/rw/                writable export
 *     data.txt, ro-inside/    (read-only export inside the writable one)
 *   <root>/secret/secret.txt  not exported
 */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { ExportTable, type Export } from '../../src/sftp/exports.js';
import { RunSpaces } from '../../src/sftp/spaces.js';
import { startSftpServer, type SftpServer, type SftpServerOptions } from '../../src/sftp/server.js';
import { pipePair, RawClient } from './raw-client.js';

export const SECRET = 'TOP-SECRET-c0ffee-do-not-serve';

export interface Fixture {
  root: string;
  ro: string;
  rw: string;
  bin: string;
  roInside: string;
  secret: string;
  big: Buffer;
  exports: Export[];
  table: ExportTable;
  cleanup(): Promise<void>;
}

export async function makeFixture(): Promise<Fixture> {
  // realpath: the tree's paths must be real for the absolute links to be judged as written.
  const root = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), 'gocpu-sftp-')));
  const ro = path.join(root, 'ro');
  const rw = path.join(root, 'rw');
  const bin = path.join(ro, 'bin');
  const roInside = path.join(rw, 'ro-inside');
  const secret = path.join(root, 'secret');
  for (const d of [ro, path.join(ro, 'sub'), bin, rw, roInside, secret]) await fs.mkdir(d, { recursive: true });
  const big = randomBytes(3 * 1024 * 1024 + 123);
  await fs.writeFile(path.join(ro, 'hello.txt'), 'hello\n');
  await fs.writeFile(path.join(ro, 'sub/deep.txt'), 'deep\n');
  await fs.writeFile(path.join(ro, 'big.bin'), big);
  await fs.writeFile(path.join(rw, 'data.txt'), 'data\n');
  await fs.writeFile(path.join(roInside, 'keep.txt'), 'keep\n');
  await fs.writeFile(path.join(secret, 'secret.txt'), SECRET);
  await fs.symlink('sub/deep.txt', path.join(ro, 'rel-good'));
  await fs.symlink('../hello.txt', path.join(ro, 'sub/up'));
  await fs.symlink(path.join(rw, 'data.txt'), path.join(ro, 'abs-good'));
  await fs.symlink('/etc/passwd', path.join(ro, 'abs-bad'));
  await fs.symlink('../secret/secret.txt', path.join(ro, 'rel-bad'));
  await fs.symlink('../secret', path.join(ro, 'dir-bad'));
  const exports: Export[] = [
    { path: ro, writable: false },
    { path: bin, writable: true },
    { path: rw, writable: true },
    { path: roInside, writable: false },
  ];
  return {
    root, ro, rw, bin, roInside, secret, big, exports,
    table: new ExportTable(exports),
    cleanup: () => fs.rm(root, { recursive: true, force: true }),
  };
}

export interface Session {
  client: RawClient;
  server: SftpServer;
  logs: string[];
  /** Ends the client's side and waits for the server to finish. */
  stop(): Promise<void>;
}

/**
 * GOCPU_TEST_SFTP_SPACES=shared (shared-session.test.ts) serves the table as one run's
 * subtree of a shared session (the agent's mount, src/sftp/spaces.ts), next to a decoy
 * run that exports `/` read-only: a path that left its run would land there and read.
 */
export async function startSession(table: ExportTable | RunSpaces, opts: SftpServerOptions = {}, init = true): Promise<Session> {
  const { server: duplex, toServer, fromServer } = pipePair();
  const logs: string[] = [];
  const log = (l: string) => logs.push(l);
  const shared = process.env.GOCPU_TEST_SFTP_SPACES === 'shared' && table instanceof ExportTable;
  let served: ExportTable | RunSpaces = table;
  const run = 'a1b2c3d4e5f60718293a4b5c';
  if (shared) {
    const spaces = new RunSpaces(log);
    spaces.add('00decoy000decoy000decoy0'.replace(/[^0-9a-f]/g, '0'), new ExportTable([{ path: '/', writable: false }]));
    spaces.add(run, table);
    served = spaces;
  }
  const server = startSftpServer(duplex, served, { log, ...opts });
  const client = new RawClient(toServer, fromServer);
  if (shared) client.prefix = `/${run}`;
  if (init) await client.init();
  return {
    client,
    server,
    logs,
    stop: async () => {
      toServer.end();
      await server.done;
    },
  };
}
