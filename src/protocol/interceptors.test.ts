import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { composeInterceptors } from './interceptors.ts';

interface Greeter {
  greet?: (input: string, next: (input: string) => string) => string;
}

describe('composeInterceptors', () => {
  test('the first interceptor is outermost; those without the method are skipped', () => {
    const wrap = (name: string): Greeter => ({
      greet: (input, next) => `${name}(${next(`${input}>${name}`)})`,
    });
    const chain = composeInterceptors<Greeter, 'greet'>(
      [wrap('a'), {}, wrap('b')],
      'greet',
      (input) => `[${input}]`,
    );
    assert.equal(chain('x'), 'a(b([x>a>b]))');
  });

  test('each interceptor is called as a method of its object', () => {
    class Prefixer implements Greeter {
      readonly prefix = 'hello ';
      greet(input: string, next: (input: string) => string): string {
        return next(this.prefix + input);
      }
    }
    const chain = composeInterceptors<Greeter, 'greet'>([new Prefixer()], 'greet', (s) => s);
    assert.equal(chain('bob'), 'hello bob');
  });

  test('with no interceptor the chain is the terminal itself', () => {
    const terminal = (s: string): string => s;
    assert.equal(composeInterceptors<Greeter, 'greet'>([], 'greet', terminal), terminal);
  });
});
