// Sandbox-safe: `URL` and `URLSearchParams` of the sandbox's own realm, as the WHATWG URL standard
// defines them. Temporal's sandbox gives workflow code Node's; Node's cannot be handed in, as
// their prototypes lead to the worker's built-ins, which the sandbox freezes. Parsing is the
// host's: a URL's components come from Node's own parser through a bridge that takes and gives
// strings only (vm-sandbox.ts), so they are exactly Node's without a parser (and IDNA's tables)
// in the runtime. `URLSearchParams` is written here: its form encoding is small. The classes are
// made at first use (makeUrlClasses), so a context or a run that never uses them pays nothing.
/* eslint-disable @typescript-eslint/no-useless-default-assignment -- an optional argument has a
   default, so that each function's length is Node's (URL.length is 1) */
import { TextDecoder, TextEncoder } from './text-coding.ts';

/**
 * The host's parser: parses `input` against `base` (none if undefined) with Node's `URL`, sets
 * `part` (one of {@link URL_PARTS} but href and origin; none if '') to `value`, and answers with
 * the components in {@link URL_PARTS} order joined by '\n' (no component can hold a control
 * character). Undefined if `input` or `base` is not a URL; '!' and a message if the parser failed
 * otherwise. Only primitive strings cross, either way.
 */
export type UrlBridge = (
  input: string,
  base: string | undefined,
  part: string,
  value: string,
) => string | undefined;

/** The components the bridge answers with, in its order. */
export const URL_PARTS = [
  'href',
  'origin',
  'protocol',
  'username',
  'password',
  'host',
  'hostname',
  'port',
  'pathname',
  'search',
  'hash',
] as const;

type Part = (typeof URL_PARTS)[number];

type CodedError = TypeError & { code: string; input?: string; base?: string };

/** A TypeError with Node's `code`, as Node's URL throws. */
function codedError(message: string, code: string): CodedError {
  const error = new TypeError(message) as CodedError;
  error.code = code;
  return error;
}

/** ToString, as a template literal does it (a Symbol throws, as in Node). */
function text(value: unknown): string {
  if (typeof value === 'symbol') throw new TypeError('Cannot convert a Symbol value to a string');
  return String(value);
}

function missingArgs(names: string): TypeError {
  return codedError(`The ${names} must be specified`, 'ERR_MISSING_ARGS');
}

/** The classes, made for one realm: the sandbox's, at its first use of either global. */
export type UrlClasses = ReturnType<typeof makeUrlClasses>;

/**
 * Makes `URL` and `URLSearchParams` over `bridge`, and freezes them (their constructors,
 * prototypes and members; nothing they inherit), as the sandbox's other built-ins are frozen.
 */
export function makeUrlClasses(bridge: UrlBridge) {
  const INDEX = Object.fromEntries(URL_PARTS.map((p, i) => [p, i])) as Record<Part, number>;
  const loneSurrogate = /\p{Cs}/gu;
  const encoder = new TextEncoder();
  const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  // WebIDL's USVString: a string, lone surrogates replaced (a Symbol throws, as in Node).
  const usv = (value: unknown): string => text(value).replace(loneSurrogate, '\uFFFD');

  /** The components of `input` (after setting `part`), or undefined if it is not a URL. */
  function parse(
    input: string,
    base: string | undefined,
    part = '',
    value = '',
  ): string[] | undefined {
    const answer = bridge(input, base, part, value);
    if (answer === undefined) return undefined;
    const parts = answer.startsWith('!') ? undefined : answer.split('\n');
    if (parts?.length !== URL_PARTS.length) {
      throw new Error(`The worker could not parse the URL: ${answer.slice(1)}`);
    }
    return parts;
  }

  function invalidUrl(input: string, base: string | undefined): TypeError {
    const error = codedError('Invalid URL', 'ERR_INVALID_URL');
    error.input = input;
    if (base !== undefined) error.base = base;
    return error;
  }

  /** The application/x-www-form-urlencoded parser: name, value, name, value… */
  function parseQuery(query: string): string[] {
    const list: string[] = [];
    for (const sequence of query.split('&')) {
      if (sequence === '') continue;
      const at = sequence.indexOf('=');
      list.push(
        decodeComponent(at === -1 ? sequence : sequence.slice(0, at)),
        decodeComponent(at === -1 ? '' : sequence.slice(at + 1)),
      );
    }
    return list;
  }

  /** '+' is a space; %XX a byte; the bytes are UTF-8 (errors as U+FFFD, a BOM kept). */
  function decodeComponent(input: string): string {
    const spaced = input.includes('+') ? input.replaceAll('+', ' ') : input;
    if (!spaced.includes('%')) return spaced;
    const bytes = encoder.encode(spaced);
    const out = new Uint8Array(bytes.length);
    let n = 0;
    for (let i = 0; i < bytes.length; i++) {
      const byte = bytes[i] as number;
      const high = byte === 0x25 ? hexValue(bytes[i + 1]) : -1;
      const low = high === -1 ? -1 : hexValue(bytes[i + 2]);
      if (low === -1) {
        out[n++] = byte;
      } else {
        out[n++] = high * 16 + low;
        i += 2;
      }
    }
    return decoder.decode(out.subarray(0, n));
  }

  function hexValue(byte: number | undefined): number {
    if (byte === undefined) return -1;
    if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
    const lower = byte | 0x20;
    return lower >= 0x61 && lower <= 0x66 ? lower - 0x61 + 10 : -1;
  }

  /** The application/x-www-form-urlencoded serializer. */
  function serializeQuery(list: readonly string[]): string {
    const out: string[] = [];
    for (let i = 0; i < list.length; i += 2) {
      out.push(`${encodeComponent(list[i] as string)}=${encodeComponent(list[i + 1] as string)}`);
    }
    return out.join('&');
  }

  /** The form-urlencoded percent-encode set: all but alphanumerics and *-._; a space is '+'. */
  function encodeComponent(input: string): string {
    // The list holds USVStrings only, which encodeURIComponent takes; it leaves !'()~ as they are.
    return encodeURIComponent(input).replace(/%20|[!'()~]/g, (match) =>
      match === '%20' ? '+' : `%${match.charCodeAt(0).toString(16).toUpperCase()}`,
    );
  }

  /** Set by the classes' static blocks: what one class reaches in the other. */
  let listOf: (params: URLSearchParams) => string[] = () => [];
  let setList: (params: URLSearchParams, list: string[]) => void = () => undefined;
  let linkedParams: (url: URL, list: string[]) => URLSearchParams = () => {
    throw new TypeError('URLSearchParams is not initialised.');
  };
  let setQuery: (url: URL, query: string) => void = () => undefined;

  class URL {
    #parts: string[];
    /** Made at the first read of `searchParams`. */
    #params: URLSearchParams | undefined;

    constructor(url: unknown, base: unknown = undefined) {
      if (arguments.length === 0) throw missingArgs('"url" argument');
      const input = text(url);
      const baseText = base === undefined ? undefined : text(base);
      const parts = parse(input, baseText);
      if (parts === undefined) throw invalidUrl(input, baseText);
      this.#parts = parts;
    }

    /** Whether `url` (against `base`) parses. */
    static canParse(url: unknown, base: unknown = undefined): boolean {
      if (arguments.length === 0) throw missingArgs('"url" argument');
      return parse(text(url), base === undefined ? undefined : text(base)) !== undefined;
    }

    /** The URL `url` (against `base`) parses to, or null. */
    static parse(url: unknown, base: unknown = undefined): URL | null {
      if (arguments.length === 0) throw missingArgs('"url" argument');
      try {
        return new URL(url, base);
      } catch (e) {
        if ((e as { code?: unknown }).code === 'ERR_INVALID_URL') return null;
        throw e;
      }
    }

    /** There are no Blobs in the sandbox, and an object URL would not outlive the worker. */
    static createObjectURL(): never {
      throw new TypeError(
        'URL.createObjectURL() is not available in workflow code: there are no Blobs in the ' +
          'sandbox, and an object URL would not outlive the worker. Keep data in workflow state, ' +
          'or handle it in an activity.',
      );
    }

    static revokeObjectURL(): never {
      throw new TypeError(
        'URL.revokeObjectURL() is not available in workflow code: URL.createObjectURL() makes ' +
          'no object URLs there.',
      );
    }

    get href(): string {
      return this.#get('href');
    }

    set href(value: string) {
      const input = text(value);
      const parts = parse(input, undefined);
      if (parts === undefined) throw invalidUrl(input, undefined);
      this.#update(parts);
    }

    get origin(): string {
      return this.#get('origin');
    }

    get protocol(): string {
      return this.#get('protocol');
    }

    set protocol(value: string) {
      this.#set('protocol', value);
    }

    get username(): string {
      return this.#get('username');
    }

    set username(value: string) {
      this.#set('username', value);
    }

    get password(): string {
      return this.#get('password');
    }

    set password(value: string) {
      this.#set('password', value);
    }

    get host(): string {
      return this.#get('host');
    }

    set host(value: string) {
      this.#set('host', value);
    }

    get hostname(): string {
      return this.#get('hostname');
    }

    set hostname(value: string) {
      this.#set('hostname', value);
    }

    get port(): string {
      return this.#get('port');
    }

    set port(value: string) {
      this.#set('port', value);
    }

    get pathname(): string {
      return this.#get('pathname');
    }

    set pathname(value: string) {
      this.#set('pathname', value);
    }

    get search(): string {
      return this.#get('search');
    }

    set search(value: string) {
      this.#set('search', value);
    }

    /** Live: changing it changes `search`, and setting `search` (or `href`) changes it. */
    get searchParams(): URLSearchParams {
      this.#params ??= linkedParams(this, parseQuery(this.#get('search').slice(1)));
      return this.#params;
    }

    get hash(): string {
      return this.#get('hash');
    }

    set hash(value: string) {
      this.#set('hash', value);
    }

    toString(): string {
      return this.#get('href');
    }

    toJSON(): string {
      return this.#get('href');
    }

    #get(part: Part): string {
      return this.#parts[INDEX[part]] as string;
    }

    /** A setter: the host sets the part on the URL parsed anew; what does not parse is ignored. */
    #set(part: Part, value: unknown): void {
      const parts = parse(this.#get('href'), undefined, part, text(value));
      if (parts !== undefined) this.#update(parts);
    }

    #update(parts: string[]): void {
      this.#parts = parts;
      if (this.#params !== undefined)
        setList(this.#params, parseQuery(this.#get('search').slice(1)));
    }

    static {
      // The URL standard's "update" of a URL's query object: '' is no query at all.
      setQuery = (url, query) => {
        const parts = parse(url.#get('href'), undefined, 'search', query);
        if (parts !== undefined) url.#parts = parts;
      };
    }
  }

  const KEYS = 0;
  const VALUES = 1;
  const ENTRIES = 2;
  type Kind = typeof KEYS | typeof VALUES | typeof ENTRIES;

  class URLSearchParams {
    /** name, value, name, value… */
    #list: string[] = [];
    /** The URL whose query this is (its `searchParams`), or none. */
    #url: URL | undefined;

    constructor(init: unknown = undefined) {
      if (init === undefined || init === null) return;
      if (typeof init !== 'object' && typeof init !== 'function') {
        const query = usv(init);
        this.#list = parseQuery(query.startsWith('?') ? query.slice(1) : query);
        return;
      }
      const method: unknown = (init as { [Symbol.iterator]?: unknown })[Symbol.iterator];
      if (method === undefined || method === null) {
        // A record: its own enumerable keys, in order.
        for (const key of Reflect.ownKeys(init)) {
          if (Reflect.getOwnPropertyDescriptor(init, key)?.enumerable !== true) continue;
          this.#list.push(usv(key), usv((init as Record<PropertyKey, unknown>)[key]));
        }
        return;
      }
      if (typeof method !== 'function') {
        throw codedError('Query pairs must be iterable', 'ERR_ARG_NOT_ITERABLE');
      }
      // Pairs: every one read before any is checked for its length, as the standard says.
      const pairs: string[][] = [];
      for (const pair of init as Iterable<unknown>) {
        if (
          (typeof pair !== 'object' && typeof pair !== 'function') ||
          pair === null ||
          typeof (pair as { [Symbol.iterator]?: unknown })[Symbol.iterator] !== 'function'
        ) {
          throw invalidTuple();
        }
        pairs.push(Array.from(pair as Iterable<unknown>, usv));
      }
      for (const pair of pairs) {
        if (pair.length !== 2) throw invalidTuple();
        this.#list.push(pair[0] as string, pair[1] as string);
      }
    }

    get size(): number {
      return this.#list.length / 2;
    }

    append(name: string, value: string): void {
      if (arguments.length < 2) throw missingArgs('"name" and "value" arguments');
      this.#list.push(usv(name), usv(value));
      this.#changed();
    }

    /** Removes every pair named `name` (whose value is `value`, if given). */
    delete(name: string, value: string | undefined = undefined): void {
      if (arguments.length === 0) throw missingArgs('"name" argument');
      const key = usv(name);
      const only = value === undefined ? undefined : usv(value);
      const list = this.#list;
      const kept: string[] = [];
      for (let i = 0; i < list.length; i += 2) {
        if (list[i] === key && (only === undefined || list[i + 1] === only)) continue;
        kept.push(list[i] as string, list[i + 1] as string);
      }
      this.#list = kept;
      this.#changed();
    }

    get(name: string): string | null {
      if (arguments.length === 0) throw missingArgs('"name" argument');
      const key = usv(name);
      const list = this.#list;
      for (let i = 0; i < list.length; i += 2) if (list[i] === key) return list[i + 1] as string;
      return null;
    }

    getAll(name: string): string[] {
      if (arguments.length === 0) throw missingArgs('"name" argument');
      const key = usv(name);
      const list = this.#list;
      const values: string[] = [];
      for (let i = 0; i < list.length; i += 2)
        if (list[i] === key) values.push(list[i + 1] as string);
      return values;
    }

    /** Whether a pair is named `name` (with the value `value`, if given). */
    has(name: string, value: string | undefined = undefined): boolean {
      if (arguments.length === 0) throw missingArgs('"name" argument');
      const key = usv(name);
      const only = value === undefined ? undefined : usv(value);
      const list = this.#list;
      for (let i = 0; i < list.length; i += 2) {
        if (list[i] === key && (only === undefined || list[i + 1] === only)) return true;
      }
      return false;
    }

    /** The first pair named `name` gets `value`, the others go; or the pair is appended. */
    set(name: string, value: string): void {
      if (arguments.length < 2) throw missingArgs('"name" and "value" arguments');
      const key = usv(name);
      const text = usv(value);
      const list = this.#list;
      const kept: string[] = [];
      let found = false;
      for (let i = 0; i < list.length; i += 2) {
        if (list[i] !== key) kept.push(list[i] as string, list[i + 1] as string);
        else if (!found) {
          kept.push(key, text);
          found = true;
        }
      }
      if (!found) kept.push(key, text);
      this.#list = kept;
      this.#changed();
    }

    /** Orders the pairs by name (code units), keeping the order of pairs of one name. */
    sort(): void {
      const list = this.#list;
      const pairs: [string, string][] = [];
      for (let i = 0; i < list.length; i += 2)
        pairs.push([list[i] as string, list[i + 1] as string]);
      pairs.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      this.#list = pairs.flat();
      this.#changed();
    }

    entries(): IterableIterator<[string, string]> {
      return new ParamsIterator(this, ENTRIES) as unknown as IterableIterator<[string, string]>;
    }

    /** Calls `callback(value, name, params)` for each pair, while pairs are left (live). */
    forEach(
      callback: (value: string, name: string, params: URLSearchParams) => void,
      thisArg: unknown = undefined,
    ): void {
      if (typeof callback !== 'function') {
        throw codedError(
          'The "callback" argument must be of type function',
          'ERR_INVALID_ARG_TYPE',
        );
      }
      for (let i = 0; i < this.#list.length; i += 2) {
        Reflect.apply(callback, thisArg, [this.#list[i + 1], this.#list[i], this]);
      }
    }

    keys(): IterableIterator<string> {
      return new ParamsIterator(this, KEYS) as unknown as IterableIterator<string>;
    }

    values(): IterableIterator<string> {
      return new ParamsIterator(this, VALUES) as unknown as IterableIterator<string>;
    }

    toString(): string {
      return serializeQuery(this.#list);
    }

    declare [Symbol.iterator]: () => IterableIterator<[string, string]>;

    /** The URL standard's "update": the URL's query follows the list. */
    #changed(): void {
      if (this.#url !== undefined) setQuery(this.#url, serializeQuery(this.#list));
    }

    static {
      listOf = (params) => params.#list;
      setList = (params, list) => {
        params.#list = list;
      };
      linkedParams = (url, list) => {
        const params = new URLSearchParams();
        params.#list = list;
        params.#url = url;
        return params;
      };
    }
  }

  function invalidTuple(): TypeError {
    return codedError(
      'Each query pair must be an iterable [name, value] tuple',
      'ERR_INVALID_TUPLE',
    );
  }

  /** The pairs' iterator: live, as Node's (pairs added while iterating are met). */
  class ParamsIterator {
    readonly #params: URLSearchParams;
    readonly #kind: Kind;
    #index = 0;

    constructor(params: URLSearchParams, kind: Kind) {
      this.#params = params;
      this.#kind = kind;
    }

    next(): IteratorResult<string | [string, string], undefined> {
      const list = listOf(this.#params);
      const at = this.#index;
      if (at >= list.length) return { value: undefined, done: true };
      this.#index = at + 2;
      const name = list[at] as string;
      const value = list[at + 1] as string;
      if (this.#kind === KEYS) return { value: name, done: false };
      if (this.#kind === VALUES) return { value, done: false };
      return { value: [name, value], done: false };
    }
  }

  // Node's shapes: WebIDL members are enumerable; the tags are the classes' names; the iterator
  // inherits %IteratorPrototype% and shows no constructor of its own.
  for (const proto of [URL.prototype, URLSearchParams.prototype]) {
    for (const key of Object.getOwnPropertyNames(proto)) {
      if (key !== 'constructor') Object.defineProperty(proto, key, { enumerable: true });
    }
  }
  for (const key of ['canParse', 'parse', 'createObjectURL', 'revokeObjectURL']) {
    Object.defineProperty(URL, key, { enumerable: true });
  }
  for (const key of ['createObjectURL', 'revokeObjectURL']) {
    Object.defineProperty(Reflect.get(URL, key), 'length', { value: 1 });
  }
  Object.defineProperty(URLSearchParams.prototype, Symbol.iterator, {
    value: Object.getOwnPropertyDescriptor(URLSearchParams.prototype, 'entries')?.value,
    writable: true,
    configurable: true,
  });
  Object.defineProperty(URL.prototype, Symbol.toStringTag, { value: 'URL', configurable: true });
  Object.defineProperty(URLSearchParams.prototype, Symbol.toStringTag, {
    value: 'URLSearchParams',
    configurable: true,
  });
  const iteratorProto = ParamsIterator.prototype;
  Reflect.deleteProperty(iteratorProto, 'constructor');
  Object.setPrototypeOf(
    iteratorProto,
    Object.getPrototypeOf(Object.getPrototypeOf([].values())) as object,
  );
  Object.defineProperty(iteratorProto, 'next', { enumerable: true });
  Object.defineProperty(iteratorProto, Symbol.toStringTag, {
    value: 'URLSearchParams Iterator',
    configurable: true,
  });

  for (const target of [
    URL,
    URL.prototype,
    URLSearchParams,
    URLSearchParams.prototype,
    iteratorProto,
  ]) {
    freezeWithMembers(target);
  }
  return { URL, URLSearchParams };
}

/** Freezes `target` and the functions on it (methods, accessors); not what it inherits. */
function freezeWithMembers(target: object): void {
  for (const key of Reflect.ownKeys(target)) {
    const desc = Reflect.getOwnPropertyDescriptor(target, key);
    for (const member of [desc?.value, desc?.get, desc?.set]) {
      if (typeof member === 'function' && member !== target) Object.freeze(member);
    }
  }
  Object.freeze(target);
}
