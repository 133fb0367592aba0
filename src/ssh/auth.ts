/**
 * The ssh2 `authHandler` for one connection, in OpenSSH's order but for "none" (below):
 * the agent (IdentityAgent / SSH_AUTH_SOCK; keys that match an IdentityFile first, only
 * those with IdentitiesOnly), each IdentityFile not already in the agent, then
 * keyboard-interactive and password, which need a terminal to ask on.
 * Passphrase-protected keys are asked for on /dev/tty; with no terminal (or BatchMode)
 * they are skipped with a note that ends up in the SSH_AUTH error.
 */
import ssh2 from 'ssh2';
import type {
  AnyAuthMethod, AuthHandlerMiddleware, AuthenticationType, BaseAgent, IdentityCallback, ParsedKey,
  KeyboardInteractiveCallback, Prompt, SignCallback, SigningRequestOptions,
} from 'ssh2';
import { tildify } from './config-tokens.js';
import { decryptIdentity, identityPublicBlob, readIdentity } from './identity-file.js';
import type { HostConfig } from './ssh-config.js';
import { openTty, type Prompter } from './tty-prompt.js';

export interface AuthOptions {
  /** Who to ask for passphrases and passwords; default: /dev/tty if there is one (never with BatchMode). */
  prompter?: Prompter | null;
  log?: (line: string) => void;
  /** True once the host key turned out to differ from known_hosts but StrictHostKeyChecking=no let it through. */
  hostKeyChanged?: () => boolean;
  /** Called with true while waiting for the user, so connect.ts can pause its timers. */
  onPrompt?: (waiting: boolean) => void;
}

export interface AuthState {
  handler: AuthHandlerMiddleware;
  /** Methods tried so far, in order, for error messages ("agent", "~/.ssh/id_ed25519"). */
  tried: string[];
  /** Why something was skipped. */
  notes: string[];
  /** What the server said it still accepts. */
  serverMethods?: string[];
}

const CHANGED_NOTE = 'no password or keyboard-interactive auth because the host key changed';

type Step = (left: AuthenticationType[] | null) => Promise<AnyAuthMethod | undefined>;

function blobOf(k: unknown): Buffer | undefined {
  // Agents may answer with { pubKey } entries (ssh2 KnownPublicKeys) instead of keys.
  if (typeof k === 'object' && k !== null && !Buffer.isBuffer(k) && 'pubKey' in k) return blobOf((k as { pubKey: unknown }).pubKey);
  const p = ssh2.utils.parseKey(k as Buffer);
  const key = Array.isArray(p) ? p[0] : p;
  return key instanceof Error ? undefined : key.getPublicSSH();
}

/** Puts the agent's keys that match an IdentityFile first, or keeps only those. */
class OrderedAgent extends ssh2.BaseAgent {
  constructor(
    private readonly inner: BaseAgent,
    private readonly wanted: Buffer[],
    private readonly only: boolean,
    private readonly report: (keys: Buffer[], err?: Error) => void,
  ) {
    super();
  }

  getIdentities(cb: IdentityCallback): void {
    this.inner.getIdentities((err, keys) => {
      if (err || !keys) {
        this.report([], err ?? new Error('no answer'));
        return cb(undefined, []); // a broken agent is a note, not the end of auth
      }
      const rank = (k: unknown): number => {
        const b = blobOf(k);
        const i = b ? this.wanted.findIndex((w) => w.equals(b)) : -1;
        return i < 0 ? this.wanted.length : i;
      };
      let list = keys.map((k) => ({ k, r: rank(k) }));
      if (this.only) list = list.filter((x) => x.r < this.wanted.length);
      list.sort((a, b) => a.r - b.r);
      this.report(list.map((x) => blobOf(x.k)).filter((b): b is Buffer => b !== undefined));
      cb(undefined, list.map((x) => x.k));
    });
  }

  sign(pubKey: ParsedKey | Buffer | string, data: Buffer, options: SigningRequestOptions | SignCallback, cb?: SignCallback): void {
    if (typeof options === 'function') this.inner.sign(pubKey, data, options);
    else this.inner.sign(pubKey, data, options, cb);
  }
}

export function buildAuth(cfg: HostConfig, opts: AuthOptions = {}): AuthState {
  const username = cfg.user;
  const state: AuthState = { handler: () => undefined, tried: [], notes: [] };
  const log = opts.log ?? (() => undefined);
  const home = (p: string): string => tildify(p, cfg.homeDir);
  const prompter = cfg.batchMode ? undefined : opts.prompter === undefined ? openTty() : opts.prompter ?? undefined;
  const ask = async (prompt: string, echo: boolean): Promise<string | null> => {
    opts.onPrompt?.(true);
    try {
      return await prompter!.ask(prompt, echo);
    } finally {
      opts.onPrompt?.(false);
    }
  };
  const allows = (left: AuthenticationType[] | null, m: AuthenticationType): boolean => left === null || left.includes(m);
  const agentKeys: Buffer[] = [];
  let agentTried = false;
  const inAgent = (b?: Buffer): boolean => agentTried && b !== undefined && agentKeys.some((k) => k.equals(b));
  const note = (s: string, warn = false): void => {
    state.notes.push(s);
    if (warn) log(`gocpu: warning: ${s}`);
  };

  const steps: Step[] = [];

  if (cfg.identityAgent !== undefined) {
    const path = cfg.identityAgent;
    steps.push(async (left) => {
      if (!allows(left, 'publickey')) return undefined;
      const wanted = cfg.identityFiles.map(identityPublicBlob).filter((b): b is Buffer => b !== undefined);
      const agent = new OrderedAgent(new ssh2.OpenSSHAgent(path), wanted, cfg.identitiesOnly, (keys, err) => {
        agentKeys.push(...keys);
        if (err) note(`agent at ${home(path)}: ${err.message}`);
        else if (keys.length === 0) note(cfg.identitiesOnly ? 'the agent holds none of the IdentityFile keys (IdentitiesOnly yes)' : 'the agent holds no keys');
      });
      agentTried = true;
      state.tried.push('agent');
      return { type: 'agent', username, agent };
    });
  }

  for (const path of cfg.identityFiles) {
    steps.push(async (left) => {
      if (!allows(left, 'publickey')) return undefined;
      const id = readIdentity(path);
      switch (id.kind) {
        case 'missing':
          if (!cfg.identityFilesAreDefaults) note(`IdentityFile ${home(path)} does not exist`, true);
          return undefined;
        case 'invalid':
          note(`cannot use ${home(path)}: ${id.reason}`, true);
          return undefined;
        case 'key':
          if (inAgent(id.publicBlob)) return undefined;
          state.tried.push(home(path));
          return { type: 'publickey', username, key: id.key };
        case 'encrypted': {
          if (inAgent(id.publicBlob)) return undefined;
          if (!prompter) {
            const why = cfg.batchMode ? 'BatchMode is on' : 'there is no terminal to ask on';
            note(`skipped ${home(path)}: it needs a passphrase and ${why} (load it with ssh-add)`);
            return undefined;
          }
          let why = 'wrong passphrase';
          for (let i = 0; i < cfg.numberOfPasswordPrompts; i++) {
            const pass = await ask(`${i > 0 ? 'Bad passphrase, try again. ' : ''}Enter passphrase for key '${path}': `, false);
            if (pass === null || pass === '') {
              why = 'no passphrase given'; // like ssh: an empty answer skips the key
              break;
            }
            const key = decryptIdentity(id.data, pass);
            if (key === 'bad-passphrase') continue;
            if (key instanceof Error) {
              note(`cannot use ${home(path)}: ${key.message}`, true);
              return undefined;
            }
            state.tried.push(home(path));
            return { type: 'publickey', username, key };
          }
          note(`skipped ${home(path)}: ${why}`);
          return undefined;
        }
      }
    });
  }

  // "none", which OpenSSH sends first to learn what the server accepts, only while the
  // server has not said it yet (left: null), as when no key went before it (or only an
  // agent without keys): a key's failure says the same, and each attempt costs a round
  // trip and the server's PAM (8 ms of a cold call on loopback). Before a password
  // prompt, so there is none where the server takes no passwords, and at the end, so
  // the error can name the server's methods (and a server that asks for nothing lets us in).
  steps.push(async (left) => (left !== null ? undefined : { type: 'none', username }));

  // Interactive methods: never after a changed host key (ssh disables them too), never without a terminal.
  const interactive = prompter !== undefined;
  const keyChanged = (): boolean => {
    if (!opts.hostKeyChanged?.()) return false;
    if (!state.notes.includes(CHANGED_NOTE)) state.notes.push(CHANGED_NOTE);
    return true;
  };
  for (let i = 0; interactive && cfg.kbdInteractiveAuthentication && i < cfg.numberOfPasswordPrompts; i++) {
    steps.push(async (left) => {
      if (!allows(left, 'keyboard-interactive') || keyChanged()) return undefined;
      if (!state.tried.includes('keyboard-interactive')) state.tried.push('keyboard-interactive');
      const prompt = (name: string, instructions: string, _lang: string, prompts: Prompt[], finish: KeyboardInteractiveCallback): void => {
        void (async () => {
          const answers: string[] = [];
          const header = [name, instructions].filter((s) => s).join('\n');
          for (const [j, p] of prompts.entries()) {
            const a = await ask(`${j === 0 && header ? header + '\n' : ''}${p.prompt}`, p.echo === true);
            answers.push(a ?? '');
          }
          finish(answers);
        })();
      };
      return { type: 'keyboard-interactive', username, prompt };
    });
  }
  for (let i = 0; interactive && cfg.passwordAuthentication && i < cfg.numberOfPasswordPrompts; i++) {
    steps.push(async (left) => {
      if (!allows(left, 'password') || keyChanged()) return undefined;
      const password = await ask(`${i > 0 ? 'Permission denied, please try again.\n' : ''}${username}@${cfg.hostName}'s password: `, false);
      if (password === null) {
        steps.length = 0; // Ctrl-C: stop asking
        return undefined;
      }
      if (!state.tried.includes('password')) state.tried.push('password');
      return { type: 'password', username, password };
    });
  }
  if (!prompter && !cfg.batchMode) state.notes.push('no terminal, so no password or keyboard-interactive auth');

  state.handler = (left, _partial, next) => {
    if (left) state.serverMethods = left;
    void (async () => {
      for (;;) {
        const step = steps.shift();
        if (step === undefined) return next(false as unknown as AuthenticationType);
        const method = await step(left ?? null);
        if (method !== undefined) return next(method);
      }
    })().catch((e: unknown) => {
      note(`auth failed locally: ${e instanceof Error ? e.message : String(e)}`);
      next(false as unknown as AuthenticationType);
    });
  };
  return state;
}
