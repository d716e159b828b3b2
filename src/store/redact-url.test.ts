import assert from 'node:assert/strict';
import { test } from 'node:test';
import { redactUrl } from './redact-url.ts';

const secret = 'hunter2';

test('redactUrl hides the password of a URL, also one written without percent-encoding', () => {
  for (const [url, redacted] of [
    ['postgres://app:hunter2@db:5432/app', 'postgres://app:***@db:5432/app'],
    ['postgres://app:hun@ter2@db/app', 'postgres://app:***@db/app'],
    ['postgres://app:hun/ter2@db/app', 'postgres://app:***@db/app'],
    ['postgres://app:hun?ter2@db/app', 'postgres://app:***@db/app'],
    ['postgres://app:hun#ter2@db/app', 'postgres://app:***@db/app'],
    ['postgres://:hunter2@db/app', 'postgres://:***@db/app'],
    [
      'postgres://app@db/app?password=hunter2&schema=s',
      'postgres://app@db/app?password=***&schema=s',
    ],
    ['postgres://app@db/app?sslpassword=hunter2', 'postgres://app@db/app?sslpassword=***'],
  ] as const) {
    assert.equal(redactUrl(url), redacted);
    assert.doesNotMatch(redactUrl(url), new RegExp(secret.slice(3)));
  }
});

test('redactUrl leaves a URL without a password as it is', () => {
  for (const url of [
    'postgres://app@db:5432/app?schema=s',
    'postgres://db/app',
    'sqlite:./x.db',
    'sqlite::memory:',
  ]) {
    assert.equal(redactUrl(url), url);
  }
});
