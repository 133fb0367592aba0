/** The local verbs, which make no connection: install, uninstall, hosts. */
import { loadConfig } from '../config/config-file.js';
import type { Parsed } from './args.js';
import { listHosts } from './hosts.js';
import { install, uninstall } from './install.js';

export async function runLocalVerb(p: Parsed, env: NodeJS.ProcessEnv): Promise<number> {
  const io = { env, out: process.stdout, err: process.stderr };
  switch (p.verb) {
    case 'install': return install({ ...io, dir: p.dir, force: p.force });
    case 'uninstall': return uninstall({ ...io, dir: p.dir });
    case 'hosts': return listHosts(env, loadConfig(env), process.stdout);
    default: throw new Error(`not a local verb: ${p.verb}`);
  }
}
