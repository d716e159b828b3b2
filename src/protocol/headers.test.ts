import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { runInNewContext } from 'node:vm';
import { InvalidArgumentError } from '../errors.ts';
import { headersFromWire, headersToWire } from './headers.ts';
import type { Headers } from './headers.ts';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('headersToWire / headersFromWire', () => {
  test('a header round-trips: metadata and data as base64 on the wire, bytes again after', () => {
    const headers: Headers = {
      trace: { metadata: { encoding: bytes('json/plain') }, data: bytes('"abc"') },
      none: { metadata: { encoding: bytes('binary/null') } },
    };
    const wire = headersToWire(headers, 'the start');
    assert.deepEqual(wire, {
      trace: { metadata: { encoding: 'anNvbi9wbGFpbg==' }, data: 'ImFiYyI=' },
      none: { metadata: { encoding: 'YmluYXJ5L251bGw=' } },
    });
    assert.deepEqual(headersFromWire(wire), headers);
  });

  test('no headers, or empty ones, are nothing on the wire; nothing on the wire is {}', () => {
    assert.equal(headersToWire(undefined, 'the start'), undefined);
    assert.equal(headersToWire({}, 'the start'), undefined);
    assert.deepEqual(headersFromWire(undefined), {});
  });

  test('bytes of another realm (the workflow sandbox) and Buffers are taken', () => {
    const foreign = runInNewContext('new Uint8Array([104, 105])') as Uint8Array;
    assert.equal(foreign instanceof Uint8Array, false);
    const wire = headersToWire(
      { a: { metadata: { encoding: foreign } }, b: { data: Buffer.from('hi') } },
      'the start',
    );
    assert.deepEqual(wire, {
      a: { metadata: { encoding: 'aGk=' } },
      b: { metadata: {}, data: 'aGk=' },
    });
  });

  test('a value that is not a Payload is refused, naming the header and what is wrong', () => {
    const refused = (headers: unknown, why: RegExp): void => {
      assert.throws(
        () => headersToWire(headers as Headers, "signal 'go'"),
        (e: unknown) => e instanceof InvalidArgumentError && why.test(e.message),
      );
    };
    refused({ t: 'abc' }, /^Header 't' of signal 'go' is not a Payload \(it is a string\)/);
    refused({ t: null }, /Header 't' .* \(it is null\)/);
    refused({ t: [] }, /Header 't' .* \(it is an array\)/);
    refused({ t: { metadata: {}, value: 1 } }, /\(it has a field 'value'\)/);
    refused(
      { t: { metadata: { encoding: 'json/plain' } } },
      /\(its metadata 'encoding' is not a Uint8Array\)/,
    );
    refused({ t: { metadata: [] } }, /\(its metadata is not an object\)/);
    refused({ t: { data: 'abc' } }, /\(its data is not a Uint8Array\)/);
    refused('abc', /^The headers of signal 'go' are a string, not an object of Payloads\.$/);
  });
});
