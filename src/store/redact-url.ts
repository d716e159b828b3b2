/**
 * Keeps passwords out of messages: `postgres://user:secret@host` → `postgres://user:***@host`,
 * and the value of a `password` or `sslpassword` parameter → `***`. The user information runs
 * to the URL's last `@`, as a password written without percent-encoding may hold `@`, `/`, `?`
 * or `#`: a URL with `@` after its host loses more than its password, never less.
 */
export function redactUrl(url: string): string {
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(url)?.[0];
  if (scheme === undefined) return url;
  let rest = url.slice(scheme.length);
  const at = rest.lastIndexOf('@');
  const colon = rest.indexOf(':');
  if (at !== -1 && colon !== -1 && colon < at) {
    rest = `${rest.slice(0, colon)}:***${rest.slice(at)}`;
  }
  return scheme + rest.replace(/([?&](?:ssl)?password=)[^&#]*/gi, '$1***');
}
