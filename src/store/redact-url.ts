/** Keeps passwords out of messages: `postgres://user:secret@host` → `postgres://user:***@host`. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*):[^@/]*@/i, '$1:***@');
}
