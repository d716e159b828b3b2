// The Host check against DNS rebinding: a web page of another site whose name is made to resolve
// to this machine is same-origin with the server, but its requests name that site in their Host
// header. The server answers only the hosts it knows (as Vite's `server.allowedHosts` does).
import { isIP, isIPv6 } from 'node:net';
import { InvalidArgumentError } from '../../errors.ts';

/**
 * The hosts a server answers to: `true` for any (its Host header is not checked), else the names
 * it was given (`example.com`) and the domains it was given (`.example.com`: the name and every
 * name below it). IP addresses, `localhost` and the names below `localhost` are always answered.
 */
export type AllowedHosts =
  true | { readonly names: ReadonlySet<string>; readonly domains: readonly string[] };

/** A host name, lower case, of letters, digits, `-` and `_` between dots. */
const HOST_NAME = /^[a-z0-9_-]+(?:\.[a-z0-9_-]+)*$/;

/**
 * The hosts a server listening on `host` answers to, given its `allowedHosts` option: those
 * entries, and `host` when it is a name (not an address). Throws `InvalidArgumentError` naming an
 * entry that is not a host name or `.domain`.
 */
export function resolveAllowedHosts(
  allowedHosts: readonly string[] | true | undefined,
  host: string | undefined,
): AllowedHosts {
  if (allowedHosts === true) return true;
  const names = new Set<string>();
  const domains: string[] = [];
  for (const entry of allowedHosts ?? []) {
    const isDomain = entry.startsWith('.');
    const name = normalise(isDomain ? entry.slice(1) : entry);
    if (!HOST_NAME.test(name)) {
      throw new InvalidArgumentError(
        `'${entry}' in allowedHosts (--allowed-host) is not a host name. Give names as a browser's address bar has ` +
          "them, without scheme or port ('reprise.example.com'), or '.example.com' for " +
          'example.com and every name below it; IP addresses and localhost are always allowed.',
      );
    }
    if (isDomain) domains.push(name);
    else names.add(name);
  }
  if (host !== undefined && isIP(host) === 0) names.add(normalise(host));
  return { names, domains };
}

/**
 * Whether a request whose Host header is `header` may be answered. A request without one is not
 * (HTTP/1.1 wants it; a browser always sends it); nor one whose header is not a host, with an
 * optional port.
 */
export function isAllowedHost(header: string | undefined, allowed: AllowedHosts): boolean {
  if (allowed === true) return true;
  const host = hostOf(header);
  if (host === undefined) return false;
  // An address involves no DNS, so nothing to rebind.
  if (host.startsWith('[') || isIP(host) !== 0) return true;
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (allowed.names.has(host)) return true;
  return allowed.domains.some((domain) => host === domain || host.endsWith(`.${domain}`));
}

/**
 * The host of a Host header, lower case, without its port and trailing dot: `[::1]` for
 * `[::1]:7233`, `example.com` for `Example.COM.:80`. Undefined for no header or one that is not
 * `host[:port]` (an IPv6 address outside brackets, a path, a second colon).
 */
export function hostOf(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const value = header.trim().toLowerCase();
  let host: string;
  let port: string | undefined;
  if (value.startsWith('[')) {
    const end = value.indexOf(']');
    if (end === -1 || !isIPv6(value.slice(1, end))) return undefined;
    host = value.slice(0, end + 1);
    const rest = value.slice(end + 1);
    if (rest !== '' && !rest.startsWith(':')) return undefined;
    port = rest === '' ? undefined : rest.slice(1);
  } else {
    const colon = value.indexOf(':');
    host = normalise(colon === -1 ? value : value.slice(0, colon));
    port = colon === -1 ? undefined : value.slice(colon + 1);
    if (!HOST_NAME.test(host)) return undefined;
  }
  if (port !== undefined && (!/^\d{1,5}$/.test(port) || Number(port) > 65535)) return undefined;
  return host;
}

/** Lower case, without the trailing dot of a fully qualified name (`example.com.`). */
function normalise(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}
