import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseListFilter } from '../../protocol/list-filter.ts';
import { listFilterToSql } from './list-filter-sql.ts';

describe('listFilterToSql', () => {
  test('an IN list on a column stays one IN list, which SQLite looks up in the index', () => {
    // The close watch asks for hundreds of run ids at once: an OR of equalities would scan.
    const sql = listFilterToSql(parseListFilter("RunId IN ('a', 'b', 'c')"));
    assert.equal(sql.where, '(run_id IN (?, ?, ?))');
    assert.deepEqual(sql.whereParams, ['a', 'b', 'c']);
  });

  test("an IN list on a custom attribute is one IN list per literal's JSON type", () => {
    const sql = listFilterToSql(parseListFilter("Tier IN (1, 'gold', 2, true)"));
    assert.match(sql.where, /type IN \('integer', 'real'\) AND value IN \(\?, \?\)/);
    assert.match(sql.where, /type IN \('text'\) AND value IN \(\?\)/);
    assert.match(sql.where, /type IN \('true', 'false'\) AND value IN \(\?\)/);
    assert.deepEqual(sql.whereParams, ['$."Tier"', 1, 2, 'gold', 1]);
  });
});
