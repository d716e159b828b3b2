import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { parseListFilter } from '../../protocol/list-filter.ts';
import { listFilterToSql, prefixUpperBound } from './list-filter-sql.ts';
import { migrate } from './migrate.ts';

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

  test('STARTS_WITH on a column is a range of the column, which SQLite reads from an index (TaskQueue too)', () => {
    const sql = listFilterToSql(parseListFilter("WorkflowId STARTS_WITH 'order-'"));
    assert.equal(sql.where, '(workflow_id >= ? AND workflow_id < ?)');
    assert.deepEqual(sql.whereParams, ['order-', 'order.']);

    const db = new Database(':memory:');
    try {
      migrate(db, { nowMs: 0 });
      // The statements the store runs (sqlite-store.ts listRunsByQuery and countRuns).
      const plan = (query: string, select: string, tail = '') => {
        const s = listFilterToSql(parseListFilter(query));
        return db
          .prepare<unknown[], { detail: string }>(
            `EXPLAIN QUERY PLAN SELECT ${select} FROM runs WHERE namespace = ? AND ${s.where}${tail}`,
          )
          .all(
            'default',
            ...s.whereParams,
            ...(tail ? s.orderByParams : []),
            ...(tail ? [10, 0] : []),
          )
          .map((r) => r.detail)
          .join('; ');
      };
      const list = (query: string) =>
        plan(
          query,
          '*',
          ` ORDER BY ${listFilterToSql(parseListFilter(query)).orderBy} LIMIT ? OFFSET ?`,
        );
      const count = (query: string) => plan(query, 'count(*)');
      const byId =
        /INDEX runs_by_workflow_id \(namespace=\? AND workflow_id>\? AND workflow_id<\?\)/;
      assert.match(list("WorkflowId STARTS_WITH 'order-'"), byId);
      assert.match(count("WorkflowId STARTS_WITH 'order-'"), byId);
      const byType =
        /INDEX runs_by_type \(namespace=\? AND workflow_type>\? AND workflow_type<\?\)/;
      assert.match(list("WorkflowType STARTS_WITH 'pay'"), byType);
      assert.match(count("WorkflowType STARTS_WITH 'pay'"), byType);
      // TaskQueue has its own index (migration 0007), for = and IN as for STARTS_WITH.
      const byQueue = /INDEX runs_by_task_queue \(namespace=\? AND task_queue/;
      for (const query of [
        "TaskQueue = 'orders'",
        "TaskQueue IN ('orders', 'mail')",
        "TaskQueue STARTS_WITH 'ord'",
      ]) {
        assert.match(list(query), byQueue, query);
        assert.match(count(query), byQueue, query);
      }
    } finally {
      db.close();
    }
  });

  test('STARTS_WITH on a custom attribute matches string values only', () => {
    const sql = listFilterToSql(parseListFilter("Code STARTS_WITH '12'"));
    assert.match(sql.where, /WHERE \(type IN \('text'\) AND \(value >= \? AND value < \?\)\)\)$/);
    assert.deepEqual(sql.whereParams, ['$."Code"', '12', '13']);
  });

  test('the upper bound of a prefix is the least string above every string that starts with it', () => {
    assert.equal(prefixUpperBound('a'), 'b');
    assert.equal(prefixUpperBound('order_%'), 'order_&');
    assert.equal(prefixUpperBound('a\u{10ffff}'), 'b');
    assert.equal(prefixUpperBound('\u{10ffff}\u{10ffff}'), undefined);
    assert.equal(prefixUpperBound(''), undefined);
    assert.equal(prefixUpperBound('x\u{1f600}'), 'x\u{1f601}');
    assert.equal(prefixUpperBound('x\uffff'), 'x\u{10000}');
    // Kept as they are, surrogate code points sort between U+D7FF and U+E000 in SQLite's UTF-8.
    assert.equal(prefixUpperBound('\ud7ff', 'kept'), '\ud800');
    // A low surrogate cannot follow a lone high one in a string (they would pair): U+E000 can.
    assert.equal(prefixUpperBound('\ud800\udbff', 'kept'), '\ud800\ue000');
    // Replaced by U+FFFD, no stored string holds a surrogate, and the prefix is read as stored.
    assert.equal(prefixUpperBound('\ud7ff', 'replaced'), '\ue000');
    assert.equal(prefixUpperBound('a\ud800', 'replaced'), 'a\ufffe');
    assert.equal(prefixUpperBound('\udc00\u{10ffff}', 'replaced'), '\ufffe');
  });

  test('a STARTS_WITH range matches exactly the strings with the prefix, as SQLite compares them', () => {
    const db = new Database(':memory:');
    try {
      const chars = ['a', '\0', '\u007f', '\u0080', '\ud7ff', '\ud800', '\udbff', '\udc00'];
      chars.push('\ue000', '\uffff', '\u{10000}', '\u{10fffe}', '\u{10ffff}', '%', '_');
      // Every string of up to two of those characters.
      const short = ['', ...chars];
      const strings = [...short, ...chars.flatMap((a) => chars.map((b) => a + b))];
      // The truth: the prefix's UTF-8 bytes begin the string's (SQLite stores text as UTF-8).
      const check = db.prepare<
        { s: string; p: string; u: string | null },
        { range: number; bytes: number }
      >(
        'SELECT (@s >= @p AND (@u IS NULL OR @s < @u)) AS range, ' +
          '(substr(hex(@s), 1, length(hex(@p))) = hex(@p)) AS bytes',
      );
      for (const p of strings) {
        const u = prefixUpperBound(p) ?? null;
        for (const c of ['', ...chars]) {
          for (const s of [p, ...short]) {
            const row = check.get({ s: s + c, p, u });
            assert.ok(row && row.range === row.bytes, JSON.stringify({ s: s + c, p, u }));
          }
        }
      }
    } finally {
      db.close();
    }
  });
});
