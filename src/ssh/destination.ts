/**
 * Destinations as a user types them: `host`, `user@host`, `user@host:port`, `[v6addr]`,
 * `[v6addr]:port`, `user@[v6addr]:port`, `ssh://[user@]host[:port]`, and a bare IPv6
 * address (`::1`, more than one colon and no brackets = no port). ProxyJump entries use
 * the same syntax. `user@host:port` is our extension: OpenSSH only takes a port from
 * `-p` or an ssh:// URI.
 */
import { GocpuError } from '../errors.js';

export interface Destination {
  user?: string;
  host: string;
  port?: number;
}

function bad(input: string, why: string): GocpuError {
  return new GocpuError('SSH_DESTINATION', `invalid ssh destination "${input}": ${why}`, {
    hint: 'use host, user@host, user@host:port, [v6addr]:port or ssh://user@host:port',
  });
}

export function parsePort(text: string, input: string): number {
  if (!/^[0-9]{1,5}$/.test(text)) throw bad(input, `port "${text}" is not a number`);
  const port = Number(text);
  if (port < 1 || port > 65535) throw bad(input, `port ${port} is out of range 1-65535`);
  return port;
}

export function parseDestination(input: string): Destination {
  let rest = input.trim();
  if (rest === '') throw bad(input, 'it is empty');
  let uri = false;
  if (/^ssh:\/\//i.test(rest)) {
    uri = true;
    rest = rest.slice(6);
    if (rest.endsWith('/')) rest = rest.slice(0, -1);
    if (rest.includes('/')) throw bad(input, 'an ssh:// URI may not carry a path');
  }
  let user: string | undefined;
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    user = rest.slice(0, at);
    rest = rest.slice(at + 1);
    if (uri) user = decodeURIComponent(user.replace(/;.*$/, '')); // RFC draft allows ";fingerprint=" params
    if (user === '') throw bad(input, 'the user name before "@" is empty');
  }
  let host: string;
  let port: number | undefined;
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close < 0) throw bad(input, 'missing "]"');
    host = rest.slice(1, close);
    const after = rest.slice(close + 1);
    if (after.startsWith(':')) port = parsePort(after.slice(1), input);
    else if (after !== '') throw bad(input, `unexpected "${after}" after "]"`);
  } else {
    const colons = rest.split(':').length - 1;
    if (colons === 1) {
      const c = rest.indexOf(':');
      host = rest.slice(0, c);
      port = parsePort(rest.slice(c + 1), input);
    } else {
      host = rest; // no colon, or a bare IPv6 address
    }
  }
  if (host === '') throw bad(input, 'the host name is empty');
  if (/[\s'"`$;&|<>\\]/.test(host)) throw bad(input, `host "${host}" contains invalid characters`);
  return { user, host, port };
}

/** How OpenSSH names a host in known_hosts and messages: `host`, or `[host]:port` off port 22. */
export function hostPort(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** `user@host:port` (brackets around IPv6 addresses) for messages. */
export function describeTarget(user: string, host: string, port: number): string {
  const h = host.includes(':') ? `[${host}]` : host;
  return `${user}@${h}:${port}`;
}
