import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { urlBridge } from '../worker/sandbox/vm-sandbox.ts';
import { alea } from './determinism.ts';
import { URL_PARTS, makeUrlClasses } from './url.ts';

const ours = makeUrlClasses(urlBridge);
type Classes = { URL: typeof URL; URLSearchParams: typeof URLSearchParams };
const sandboxed = ours as unknown as Classes;
const nodes: Classes = { URL: globalThis.URL, URLSearchParams: globalThis.URLSearchParams };

/** What a call gives: its value, or the name, code, message, input and base of what it throws. */
function outcome(fn: () => unknown): unknown {
  try {
    return { value: fn() };
  } catch (e) {
    const { name, message } = e as Error;
    const { code, input, base } = e as { code?: unknown; input?: unknown; base?: unknown };
    return { throws: { name, code, message, input, base, isTypeError: e instanceof TypeError } };
  }
}

function describeUrl(url: URL): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const c of URL_PARTS) out[c] = url[c];
  return {
    ...out,
    string: String(url),
    json: JSON.stringify({ url }),
    params: [...url.searchParams],
  };
}

/** Inputs and bases: special and not, IDNA, IPv4/IPv6, opaque paths, dot segments, failures. */
const PARSES: [string, string?][] = [
  ['https://user:pw@example.com:8080/a/../b/./c?x=1&y=2#frag'],
  ['HTTP://EXAMPLE.COM:80/'],
  ['https://bücher.de/straße?q=ü#ö'],
  ['https://xn--bcher-kva.de'],
  ['http://[::1]:3000/p'],
  ['http://[2001:db8::ff00:42:8329]'],
  ['http://0x7f.1/'],
  ['http://192.168.0.257/'],
  ['http://example.com/%7Efoo/ bar?a b#c d'],
  ['http://ex ample.com/'],
  ['http://a:b@/'],
  ['file:///C:/path/to/file.txt'],
  ['file://host/share/x'],
  ['data:text/plain,hello world'],
  ['data:space    ?query'],
  ['javascript:alert(1)'],
  ['mailto:someone@example.com?subject=hi'],
  ['blob:https://example.com/uuid'],
  ['ws://example.com/socket'],
  ['web+demo:/.//not-a-host/'],
  ['urn:isbn:0451450523'],
  ['  \t https://trimmed.example/\n '],
  ['https://example.com/\ud800lone'],
  ['//other.example/x', 'https://base.example/a/b'],
  ['../c?d#e', 'https://base.example/a/b/'],
  ['?only', 'https://base.example/a/b?old#h'],
  ['#only', 'https://base.example/a/b?old#h'],
  ['', 'https://base.example/a/b?old#h'],
  ['x', 'not a base'],
  ['relative/path'],
  ['https://'],
  ['http://exa[mple.com/'],
  ['http://example.com:99999/'],
  ['https://example.com:443/'],
  ['nope'],
  [''],
];

describe('URL (the sandbox’s own, parsed by the host)', () => {
  test('gives Node’s components for a table of inputs and bases, and throws where Node throws', () => {
    for (const [input, base] of PARSES) {
      const parse = ({ URL: U }: Classes): unknown =>
        outcome(() => describeUrl(base === undefined ? new U(input) : new U(input, base)));
      assert.deepEqual(parse(sandboxed), parse(nodes), `${input} against ${String(base)}`);
    }
    const error = outcome(() => new sandboxed.URL('nope', 'bad'));
    assert.deepEqual(error, {
      throws: {
        name: 'TypeError',
        code: 'ERR_INVALID_URL',
        message: 'Invalid URL',
        input: 'nope',
        base: 'bad',
        isTypeError: true,
      },
    });
  });

  test('canParse and parse agree with Node; no argument throws ERR_MISSING_ARGS', () => {
    const { URL: U } = sandboxed;
    for (const [input, base] of PARSES) {
      assert.equal(U.canParse(input, base), nodes.URL.canParse(input, base), input);
      const parsed = U.parse(input, base);
      assert.equal(parsed?.href ?? null, nodes.URL.parse(input, base)?.href ?? null, input);
      assert.ok(parsed === null || parsed instanceof U);
    }
    const missing = (fn: () => unknown): unknown => (outcome(fn) as { throws: unknown }).throws;
    const noArgs = missing(() => new (nodes.URL as unknown as new () => URL)());
    assert.deepEqual(
      missing(() => new (U as unknown as new () => URL)()),
      noArgs,
    );
    assert.deepEqual(
      missing(() => (U.canParse as unknown as () => boolean)()),
      missing(() => (nodes.URL.canParse as unknown as () => boolean)()),
    );
    assert.equal(
      (missing(() => (U.parse as () => unknown)()) as { code: string }).code,
      'ERR_MISSING_ARGS',
    );
  });

  test('every setter changes the URL as Node’s does, and the searchParams follow', () => {
    const urls = [
      'https://user:pw@example.com:8080/a/b?x=1#frag',
      'http://example.com/',
      'file:///tmp/x',
      'data:text/plain,hi',
      'mailto:a@b.example',
      'foo://host/p?q',
    ];
    const setters: [string, string[]][] = [
      ['href', ['https://new.example/p?n=1', 'not a url', '/relative']],
      ['protocol', ['http', 'ftp:', 'file', 'wss', 'x-custom', '', 'ht tp']],
      ['username', ['me', 'a b@c', '']],
      ['password', ['s3cr:t', '']],
      ['host', ['other.example:81', 'bücher.de', '[::1]', 'bad host', '']],
      ['hostname', ['h.example', 'xn--bcher-kva.de', '1.2.3', '']],
      ['port', ['443', '8080', '99999', 'abc', '12ab', '']],
      ['pathname', ['/x/../y', 'no-slash', '/a b/é', '']],
      ['search', ['?a=1&b=2', 'c=3 4', '?', '', '#?x']],
      ['hash', ['#h', 'h i', '', '#']],
    ];
    for (const href of urls) {
      for (const [setter, values] of setters) {
        for (const value of values) {
          const run = ({ URL: U }: Classes): unknown => {
            const url = new U(href);
            const params = url.searchParams;
            const result = outcome(() => {
              Reflect.set(url, setter, value);
            });
            return { result, url: describeUrl(url), same: params === url.searchParams };
          };
          assert.deepEqual(run(sandboxed), run(nodes), `${href} .${setter} = ${value}`);
        }
      }
    }
    // A setter on a URL whose search params were never read makes none.
    const url = new sandboxed.URL('https://example.com/?a=1');
    url.search = '?b=2';
    assert.deepEqual([...url.searchParams], [['b', '2']]);
  });

  test('searchParams is live both ways, as Node’s', () => {
    const scenario = ({ URL: U }: Classes): string[] => {
      const log: string[] = [];
      const url = new U('https://example.com/p?a=1&b=2#h');
      const params = url.searchParams;
      params.append('c', 'x y~');
      log.push(url.href);
      params.set('a', 'é');
      params.delete('b');
      log.push(url.href);
      params.sort();
      log.push(url.search);
      url.search = '?z=9&y=8';
      log.push(JSON.stringify([...params]));
      url.href = 'https://other.example/?k=v';
      log.push(JSON.stringify([...params]), String(params.size));
      params.delete('k');
      log.push(url.href);
      const opaque = new U('data:space    ?query');
      opaque.searchParams.delete('query');
      log.push(JSON.stringify(opaque.href));
      return log;
    };
    assert.deepEqual(scenario(sandboxed), scenario(nodes));
  });

  test('toString, toJSON, the tag and the shape of the classes are Node’s', () => {
    const shape = (target: object): string[] =>
      Reflect.ownKeys(target)
        .filter((k) => !['constructor', 'prototype', 'name'].includes(String(k)))
        // Node's own for util.inspect.
        .filter((k) => typeof k !== 'symbol' || !String(k.description).startsWith('nodejs.'))
        .map((key) => {
          const d = Reflect.getOwnPropertyDescriptor(target, key) as PropertyDescriptor;
          const fn: unknown = d.value ?? Reflect.get(d, 'get');
          const length = typeof fn === 'function' ? fn.length : '-';
          const kind =
            d.get !== undefined ? `get${d.set === undefined ? '' : '/set'}` : typeof d.value;
          return `${String(key)} ${kind} ${length} enumerable:${String(d.enumerable)}`;
        })
        .sort();
    const classes = ({ URL: U, URLSearchParams: P }: Classes): string[][] => {
      const iterator = Object.getPrototypeOf(new P('a=1').keys()) as object;
      return [shape(U), shape(U.prototype), shape(P), shape(P.prototype), shape(iterator)];
    };
    assert.deepEqual(classes(sandboxed), classes(nodes));
    const { URL: U, URLSearchParams: P } = sandboxed;
    assert.equal(U.length, 1);
    assert.equal(P.length, 0);
    assert.equal(Reflect.get(P.prototype, Symbol.iterator), Reflect.get(P.prototype, 'entries'));
    assert.equal(Object.prototype.toString.call(new U('http://a')), '[object URL]');
  });

  test('createObjectURL and revokeObjectURL throw a TypeError saying why', () => {
    assert.throws(() => sandboxed.URL.createObjectURL(new Blob([])), {
      name: 'TypeError',
      message: /not available in workflow code.*no Blobs/s,
    });
    assert.throws(() => {
      sandboxed.URL.revokeObjectURL('blob:x');
    }, /not available in workflow code/);
  });

  test('the classes, their prototypes and members are frozen; inherited built-ins are not touched', () => {
    const { URL: U, URLSearchParams: P } = sandboxed;
    for (const target of [U, U.prototype, P, P.prototype, Object.getPrototypeOf(new P().keys())]) {
      assert.ok(Object.isFrozen(target));
    }
    const href = Object.getOwnPropertyDescriptor(U.prototype, 'href') ?? {};
    assert.ok(Object.isFrozen(Reflect.get(href, 'get')));
    assert.ok(Object.isFrozen(Reflect.get(U.prototype, 'toString')));
    assert.ok(!Object.isFrozen(Object.prototype));
    class Mine extends U {
      get kind(): string {
        return 'mine';
      }
    }
    const mine = new Mine('http://a/');
    assert.ok(mine instanceof U);
    assert.equal(mine.kind, 'mine');
    assert.equal(mine.href, 'http://a/');
  });
});

/** Random strings of the characters a query's parser and serializer treat apart. */
function randomStrings(seed: string, count: number): string[] {
  const random = alea(seed);
  const pool = ['a', 'Z', '0', '=', '&', '+', '%', '%2', '%20', '%zz', '%C3', '%A9', '%F0%9F', ' '];
  pool.push(
    '?',
    '#',
    '~',
    '!',
    "'",
    '(',
    ')',
    '*',
    '-',
    '.',
    '_',
    'é',
    '€',
    '𝄞',
    '\ud800',
    '\udc00',
  );
  pool.push('\u0000', '\n', '%EF%BB%BF', '\ufeff');
  const out: string[] = [];
  for (let n = 0; n < count; n++) {
    let s = '';
    const length = Math.floor(random() * 10);
    for (let i = 0; i < length; i++) s += pool[Math.floor(random() * pool.length)] ?? '';
    out.push(s);
  }
  return out;
}

describe('URLSearchParams (the sandbox’s own)', () => {
  test('parses and serializes as Node’s (and the standard), for random strings', () => {
    // The standard percent-decodes the UTF-8 of the input. Node does too, except in a name or value
    // whose escapes are not UTF-8, where it cuts each character to a byte ('%zzé' is '%zz\ufffd').
    // Written as escapes of their UTF-8 first, a string's characters decode the same by the
    // standard, and Node gets them right: what ours makes of a string is what Node makes of that.
    const escaped = (s: string): string =>
      s.replace(/\p{Cs}/gu, '\ufffd').replace(/[^\0-\x7f]/gu, (c) => encodeURIComponent(c));
    for (const input of randomStrings('url-search-params', 3000)) {
      const parse = (P: Classes['URLSearchParams'], query: string): unknown => {
        const params = new P(query);
        return [[...params], params.toString(), params.size];
      };
      const serialize = (P: Classes['URLSearchParams']): string => {
        const params = new P();
        params.append(input, input);
        return params.toString();
      };
      const name = JSON.stringify(input);
      assert.deepEqual(
        parse(sandboxed.URLSearchParams, input),
        parse(nodes.URLSearchParams, escaped(input)),
        name,
      );
      assert.equal(serialize(sandboxed.URLSearchParams), serialize(nodes.URLSearchParams), name);
    }
    assert.equal(new sandboxed.URLSearchParams('a=%zzé&b=%C3%A9€').get('a'), '%zzé');
    assert.equal(new sandboxed.URLSearchParams('a=%zzé&b=%C3%A9€').get('b'), 'é€');
  });

  test('takes a string, a record, pairs or another URLSearchParams; refuses what is neither', () => {
    const inits: unknown[] = [
      undefined,
      '?a=1&b=2',
      '??a',
      42,
      { a: '1', b: 2, 'é\ud800': 'x' },
      Object.create(
        { inherited: 1 },
        { own: { value: 'y', enumerable: true }, hidden: { value: 'z' } },
      ),
      [['a', '1'], new Set(['b', '2'])],
      new Map([['m', 'n']]),
      [],
      [['a']],
      [['a', 'b', 'c']],
      ['ab'],
      [5],
      { [Symbol.iterator]: 5 },
      { [Symbol('s')]: 'v' },
    ];
    for (const init of inits) {
      const run = ({ URLSearchParams: P }: Classes): unknown =>
        outcome(() => [...new P(init as string)]);
      assert.deepEqual(run(sandboxed), run(nodes), String(init));
    }
    // null is no init here, as node 20 and 22 read it; node 24 reads it as the string 'null'
    // (WebIDL's answer). The sandbox's own code answers the same on every node, so replays agree.
    assert.deepEqual([...new sandboxed.URLSearchParams(null as unknown as string)], []);
    const source = new sandboxed.URLSearchParams('x=1');
    const copy = new sandboxed.URLSearchParams(source);
    copy.append('y', '2');
    assert.equal(source.toString(), 'x=1');
    assert.equal(copy.toString(), 'x=1&y=2');
  });

  test('its methods behave as Node’s, value arguments and live iteration included', () => {
    const scenario = ({ URLSearchParams: P }: Classes): unknown[] => {
      const log: unknown[] = [];
      const p = new P('a=1&b=2&a=3&c=4&a=1');
      log.push(p.get('a'), p.get('none'), p.getAll('a'), p.has('a'), p.has('a', '3'));
      log.push(p.has('a', '9'), p.has('zz'), p.size);
      p.delete('a', '1');
      log.push(p.toString());
      p.set('a', 'new');
      p.set('d', 'added');
      log.push(p.toString());
      p.append('b', '0');
      p.sort();
      log.push(p.toString(), [...p.keys()], [...p.values()], [...p.entries()]);
      const seen: string[] = [];
      p.forEach(function (this: unknown, value, name, self) {
        seen.push(`${name}=${value} ${String(this)} ${String(self === p)}`);
        if (name === 'a') p.delete('b');
      }, 'that');
      log.push(seen);
      const iterator = p.keys();
      log.push(iterator.next());
      p.append('late', '1');
      log.push([...iterator], iterator.next(), Object.prototype.toString.call(iterator));
      log.push([...p[Symbol.iterator]()]);
      p.delete('c');
      p.delete('a', undefined);
      log.push(p.toString(), p.size);
      const errors = [
        outcome(() => {
          (p.append as (n: string) => void)('x');
        }),
        outcome(() => {
          (p.get as () => unknown)();
        }),
        outcome(() => {
          (p.set as (n: string) => void)('x');
        }),
        outcome(() => {
          (p.delete as () => void)();
        }),
      ];
      log.push(errors);
      const notAFunction = outcome(() => {
        p.forEach(5 as unknown as () => void);
      }) as { throws: { code: unknown; isTypeError: boolean } };
      log.push(notAFunction.throws.code, notAFunction.throws.isTypeError);
      return log;
    };
    assert.deepEqual(scenario(sandboxed), scenario(nodes));
  });
});

describe('the host’s URL bridge', () => {
  test('answers with strings only: undefined when not a URL, "!" and a message on other failures', () => {
    assert.equal(urlBridge('nope', undefined, '', ''), undefined);
    assert.equal(urlBridge('http://a/', 'a base that is not a URL', '', ''), undefined);
    assert.equal(
      urlBridge('/x?q', 'http://u:p@a:81/', 'hash', 'h'),
      'http://u:p@a:81/x?q#h\nhttp://a:81\nhttp:\nu\np\na:81\na\n81\n/x\n?q\n#h',
    );
    const call = urlBridge as unknown as (...args: unknown[]) => unknown;
    const toString = (): string => {
      throw new Error('the bridge ran workflow code');
    };
    assert.match(String(call({ toString }, undefined, '', '')), /^!the URL bridge takes strings/);
    assert.match(String(call('http://a/', undefined, 'href', 'http://b/')), /^!/);
    assert.match(String(call('http://a/', undefined, 'constructor', 'x')), /^!/);
    assert.match(String(call('http://a/', undefined, 'search', 5)), /^!/);
  });
});
