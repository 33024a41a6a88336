import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import {
  AudioDecodeError,
  describeValue,
  ERROR_CODES,
  FeatureError,
  httpStatusFor,
  isKwsError,
  KwsError,
  toSerializedError,
} from '../../src/errors/index.js';

describe('error codes', () => {
  it('documents every code in README.md with its HTTP status', () => {
    const readme = readFileSync(resolve(import.meta.dirname, '../../README.md'), 'utf8');
    for (const [code, { httpStatus }] of Object.entries(ERROR_CODES)) {
      assert.match(readme, new RegExp(`\\| \`${code}\` \\| ${httpStatus} \\|`), `README.md lacks a row for ${code}`);
    }
  });

  it('maps codes to HTTP statuses, and anything unknown to 500', () => {
    assert.equal(httpStatusFor('TOO_LONG'), 413);
    assert.equal(httpStatusFor('NOT_AUDIO'), 415);
    assert.equal(httpStatusFor('TRUNCATED'), 422);
    assert.equal(httpStatusFor('NO_SUCH_CODE'), 500);
    assert.equal(httpStatusFor(undefined), 500);
  });

  it('recognises errors by name and code after a structured clone, as across a worker thread', () => {
    const error = new AudioDecodeError('TRUNCATED', 'cut short');
    const cloned: unknown = structuredClone({ name: error.name, code: error.code, message: error.message });
    assert.ok(isKwsError(cloned));
    assert.ok(!isKwsError({ name: 'Error', code: 'ENOENT', message: 'x' }));
    assert.ok(!isKwsError(new Error('plain')));
    assert.equal(new FeatureError('SHAPE_MISMATCH', 'x').name, 'FeatureError');
    assert.ok(error instanceof KwsError);
  });

  it('serialises known errors as they are and masks unknown ones as INTERNAL', () => {
    assert.deepEqual(toSerializedError(new AudioDecodeError('EMPTY', 'no bytes')), {
      name: 'AudioDecodeError',
      code: 'EMPTY',
      message: 'no bytes',
    });
    assert.deepEqual(toSerializedError(new TypeError('secret path /etc/x')), {
      name: 'KwsError',
      code: 'INTERNAL',
      message: 'internal error',
    });
    assert.equal(
      JSON.stringify(new KwsError('INVALID_ARGUMENT', 'bad')),
      '{"name":"KwsError","code":"INVALID_ARGUMENT","message":"bad"}',
    );
  });

  it('describes values in messages, naming non-finite numbers that JSON would print as null', () => {
    assert.equal(describeValue([Number.POSITIVE_INFINITY, 0]), '[Infinity,0]');
    assert.equal(describeValue({ a: Number.NaN, b: -Infinity }), '{"a":NaN,"b":-Infinity}');
    assert.equal(describeValue('x'), '"x"');
    assert.equal(describeValue(1.5), '1.5');
  });
});
