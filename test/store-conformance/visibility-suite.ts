// The visibility part of the store contract (listRunsByQuery, countRuns), run by suite.ts for
// every backend: filters written in Temporal's list-filter language, evaluated by the database.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { InvalidArgumentError } from '../../src/errors.ts';
import { parseListFilter } from '../../src/protocol/list-filter.ts';
import { RunStatus } from '../../src/protocol/run-status.ts';
import type { SearchAttributeTypes } from '../../src/protocol/search-attribute-types.ts';
import type { RunRecord, Store } from '../../src/store/store.ts';
import { appendRequest, createRequest, makeRun, signaledEvent } from './builders.ts';

export function visibilityConformance(
  withStore: (fn: (store: Store) => Promise<void>) => Promise<void>,
): void {
  /** The workflow ids that `query` lists, in order. */
  async function ids(store: Store, query: string, page = { limit: 100, offset: 0 }) {
    const runs = await store.listRunsByQuery({
      namespace: 'default',
      filter: parseListFilter(query),
      ...page,
    });
    return runs.map((r) => r.workflowId);
  }
  async function count(store: Store, query: string): Promise<number> {
    const counted = await store.countRuns({
      namespace: 'default',
      filter: parseListFilter(query, 'count'),
    });
    assert.deepEqual(counted.groups, []);
    return counted.count;
  }
  /** A filter names only registered custom attributes: these tests register theirs first. */
  async function register(store: Store, types: SearchAttributeTypes): Promise<void> {
    await store.addSearchAttributes({ namespace: 'default', types });
  }
  async function create(store: Store, overrides: Partial<RunRecord>): Promise<RunRecord> {
    const run = makeRun(overrides);
    await store.createRun(createRequest(run));
    return run;
  }
  const closed = (closeTimeMs: number, status: RunStatus = RunStatus.Completed) => ({
    status,
    closeTimeMs,
  });

  describe('visibility', () => {
    test('listRunsByQuery filters on system attributes', () =>
      withStore(async (store) => {
        await create(store, { workflowId: 'a1', workflowType: 'order', startTimeMs: 1_000 });
        await create(store, {
          workflowId: 'a2',
          workflowType: 'order',
          startTimeMs: 2_000,
          ...closed(5_000, RunStatus.Failed),
        });
        await create(store, {
          workflowId: 'b1',
          workflowType: 'billing',
          taskQueue: 'q2',
          startTimeMs: 3_000,
        });
        await store.ensureNamespace({ namespace: 'other' });
        await create(store, { workflowId: 'a3', workflowType: 'order', namespace: 'other' });

        assert.deepEqual(await ids(store, "WorkflowType = 'order' ORDER BY WorkflowId"), [
          'a1',
          'a2',
        ]);
        assert.deepEqual(await ids(store, "ExecutionStatus = 'Failed'"), ['a2']);
        assert.deepEqual(await ids(store, "ExecutionStatus != 'Failed' ORDER BY WorkflowId"), [
          'a1',
          'b1',
        ]);
        assert.deepEqual(await ids(store, "TaskQueue = 'q2'"), ['b1']);
        assert.deepEqual(
          await ids(store, "StartTime >= '1970-01-01T00:00:02Z' ORDER BY StartTime"),
          ['a2', 'b1'],
        );
        assert.deepEqual(await ids(store, 'CloseTime IS NOT NULL'), ['a2']);
        assert.deepEqual(await ids(store, "CloseTime IS NULL AND WorkflowId STARTS_WITH 'a'"), [
          'a1',
        ]);
        assert.deepEqual(await ids(store, "WorkflowId IN ('a1', 'b1') ORDER BY WorkflowId DESC"), [
          'b1',
          'a1',
        ]);
        assert.deepEqual(await ids(store, 'HistoryLength BETWEEN 2 AND 2 ORDER BY WorkflowId'), [
          'a1',
          'a2',
          'b1',
        ]);
        assert.deepEqual(
          await ids(
            store,
            "(WorkflowType = 'billing' OR ExecutionStatus = 'Failed') ORDER BY WorkflowId",
          ),
          ['a2', 'b1'],
        );
      }));

    test('custom search attributes compare by value, and a string list matches any element', () =>
      withStore(async (store) => {
        await register(store, {
          Customer: 'Keyword',
          Amount: 'Double',
          Vip: 'Bool',
          Tags: 'KeywordList',
        });
        await create(store, {
          workflowId: 'r1',
          searchAttributes: { Customer: 'acme', Amount: 120, Vip: true, Tags: ['red', 'blue'] },
        });
        await create(store, {
          workflowId: 'r2',
          searchAttributes: { Customer: 'globex', Amount: 80.5, Vip: false, Tags: ['green'] },
        });
        await create(store, { workflowId: 'r3', searchAttributes: {} });

        assert.deepEqual(await ids(store, "Customer = 'acme'"), ['r1']);
        assert.deepEqual(await ids(store, 'Amount > 100'), ['r1']);
        assert.deepEqual(await ids(store, 'Amount BETWEEN 80 AND 90'), ['r2']);
        assert.deepEqual(await ids(store, 'Vip = true'), ['r1']);
        assert.deepEqual(await ids(store, "Tags = 'blue'"), ['r1']);
        assert.deepEqual(await ids(store, "Tags IN ('green', 'pink')"), ['r2']);
        assert.deepEqual(await ids(store, "Tags != 'blue'"), ['r2']);
        assert.deepEqual(await ids(store, "Customer NOT IN ('acme')"), ['r2']);
        assert.deepEqual(await ids(store, "Customer STARTS_WITH 'glo'"), ['r2']);
        assert.deepEqual(await ids(store, 'Amount > 0 ORDER BY Amount ASC'), ['r2', 'r1']);
      }));

    test('a custom attribute compares by its stored type: a boolean is not a number, nor a string', () =>
      withStore(async (store) => {
        // Runs hold values of other types than the registered one, as in a database from before
        // the registry.
        await register(store, { Count: 'Double', Vip: 'Bool' });
        await create(store, { workflowId: 'one', searchAttributes: { Count: 1, Vip: true } });
        await create(store, { workflowId: 'zero', searchAttributes: { Count: 0, Vip: false } });
        await create(store, { workflowId: 'text', searchAttributes: { Count: '1', Vip: 'true' } });

        assert.deepEqual(await ids(store, 'Count = true'), []);
        assert.deepEqual(await ids(store, 'Vip = 1'), []);
        assert.deepEqual(await ids(store, 'Vip != 1 ORDER BY WorkflowId'), ['one', 'text', 'zero']);
        // (BETWEEN on a Bool is refused: see the KeywordList and Bool test below.)
        assert.deepEqual(await ids(store, 'Count IN (true, false)'), []);
        assert.deepEqual(await ids(store, "Count IN (1, 'x') ORDER BY WorkflowId"), ['one']);
        assert.deepEqual(await ids(store, 'Vip IN (false, 7)'), ['zero']);
        assert.deepEqual(await ids(store, 'Count = 1'), ['one']);
        assert.deepEqual(await ids(store, 'Vip = false'), ['zero']);
        assert.deepEqual(await ids(store, "Count = '1'"), ['text']);
        assert.deepEqual(await ids(store, "Vip = 'true'"), ['text']);
        // SQLite orders numbers before strings: a string literal must not reach a number.
        assert.deepEqual(await ids(store, "Count < '5'"), ['text']);
        assert.deepEqual(await ids(store, "Count <= 'zzz' ORDER BY WorkflowId"), ['text']);
        assert.deepEqual(await ids(store, 'Count > -1 ORDER BY WorkflowId'), ['one', 'zero']);
      }));

    test('a run without a custom attribute matches no comparison, only IS NULL', () =>
      withStore(async (store) => {
        await register(store, { Customer: 'Keyword' });
        await create(store, { workflowId: 'with', searchAttributes: { Customer: 'acme' } });
        await create(store, { workflowId: 'without', searchAttributes: {} });
        await create(store, { workflowId: 'never-set' });

        assert.deepEqual(await ids(store, "Customer != 'globex'"), ['with']);
        assert.deepEqual(await ids(store, "Customer NOT STARTS_WITH 'x'"), ['with']);
        assert.deepEqual(await ids(store, 'Customer IS NOT NULL'), ['with']);
        assert.deepEqual(await ids(store, 'Customer IS NULL ORDER BY WorkflowId'), [
          'never-set',
          'without',
        ]);
      }));

    test('STARTS_WITH is case-sensitive and takes % and _ literally', () =>
      withStore(async (store) => {
        await register(store, { Code: 'Keyword' });
        await create(store, { workflowId: 'Order_1', searchAttributes: { Code: 'a_1' } });
        await create(store, { workflowId: 'OrderX2', searchAttributes: { Code: 'ab2' } });
        await create(store, { workflowId: 'order-3', searchAttributes: { Code: '50%-off' } });
        await create(store, { workflowId: '100%', searchAttributes: { Code: '500' } });
        await create(store, { workflowId: '1000' });
        await create(store, { workflowId: 'é-1' });
        assert.deepEqual(await ids(store, "WorkflowId STARTS_WITH 'Order_'"), ['Order_1']);
        assert.deepEqual(await ids(store, "WorkflowId STARTS_WITH '%'"), []);
        assert.deepEqual(await ids(store, "WorkflowId STARTS_WITH '100%'"), ['100%']);
        assert.deepEqual(await ids(store, "WorkflowId STARTS_WITH '100\\%'"), ['100%']);
        assert.deepEqual(await ids(store, "WorkflowId STARTS_WITH 'é'"), ['é-1']);
        assert.deepEqual(await ids(store, "Code STARTS_WITH 'a_'"), ['Order_1']);
        assert.deepEqual(await ids(store, "Code STARTS_WITH '50%'"), ['order-3']);
        assert.deepEqual(await ids(store, "Code NOT STARTS_WITH 'a_' ORDER BY WorkflowId"), [
          '100%',
          'OrderX2',
          'order-3',
        ]);
      }));

    test('STARTS_WITH on a custom attribute is refused when the namespace registers it as a non-Keyword', () =>
      withStore(async (store) => {
        await register(store, { Code: 'Keyword' });
        await create(store, { workflowId: 'text', searchAttributes: { Code: '123' } });
        assert.deepEqual(await ids(store, "Code STARTS_WITH '12'"), ['text']);
        for (const [workflowId, value, type] of [
          ['int', 123, 'Int'],
          ['real', 12.5, 'Double'],
          ['bool', true, 'Bool'],
          ['list', ['x', '12'], 'KeywordList'],
          ['date', '2024-05-01T00:00:00.000Z', 'Datetime'],
        ] as const) {
          const name = `A_${workflowId}`;
          await create(store, { workflowId, searchAttributes: { [name]: value } });
          await register(store, { [name]: type });
          await assert.rejects(
            ids(store, `${name} NOT STARTS_WITH '1'`),
            new RegExp(`and ${name} is an? ${type} \\(namespace 'default' registers it as one\\)`),
          );
        }
      }));

    test('a filter that names a custom attribute the namespace does not register is refused, as in Temporal', () =>
      withStore(async (store) => {
        await create(store, { workflowId: 'held', searchAttributes: { Kept: 'x', Never: 'y' } });
        const unknown = (name: string) => (e: unknown) => {
          assert.ok(e instanceof InvalidArgumentError, String(e));
          assert.match(
            e.message,
            new RegExp(
              `^Invalid list filter: ${name} is not a valid search attribute: namespace 'default' does not register it .*engine\\.searchAttributes\\.add\\('default', \\{ ${name}: 'Keyword' \\}\\)`,
            ),
          );
          return true;
        };
        // Runs hold it, but the namespace never registered it: in a filter, an ORDER BY, a count.
        await assert.rejects(ids(store, "Never = 'y'"), unknown('Never'));
        await assert.rejects(ids(store, "WorkflowId = 'held' ORDER BY Never"), unknown('Never'));
        await assert.rejects(count(store, "WorkflowId = 'x' OR Never IS NULL"), unknown('Never'));
        // Registered, then removed: its values stay on the run, and the name is unknown again.
        await register(store, { Kept: 'Keyword' });
        assert.deepEqual(await ids(store, "Kept = 'x'"), ['held']);
        await store.removeSearchAttributes({ namespace: 'default', names: ['Kept'] });
        await assert.rejects(ids(store, "Kept = 'x'"), unknown('Kept'));
        // The attributes a schedule sets on its runs are known without a registration.
        assert.deepEqual(await ids(store, "TemporalScheduledById = 's'"), []);
        // A name Temporal reserves, that Reprise does not record, says so.
        await assert.rejects(
          ids(store, "ParentWorkflowId = 'p'"),
          /ParentWorkflowId is reserved for Temporal's own search attributes.*Reprise does not record it/,
        );
        await assert.rejects(
          ids(store, 'TemporalSchedulePaused = true'),
          /TemporalSchedulePaused is a schedule's search attribute, not a workflow's/,
        );
      }));

    test('a KeywordList attribute takes only =, !=, IN and NOT IN, and a Bool no BETWEEN, as in Temporal', () =>
      withStore(async (store) => {
        // A run from before the registry holds them as strings.
        await create(store, { workflowId: 'text', searchAttributes: { Tags: 'b', Vip: 'b' } });
        await create(store, { workflowId: 'list', searchAttributes: { Tags: ['a', 'z'] } });
        await create(store, { workflowId: 'bool', searchAttributes: { Vip: true } });
        await store.addSearchAttributes({
          namespace: 'default',
          types: { Tags: 'KeywordList', Vip: 'Bool' },
        });

        const refused = (query: string, message: RegExp) =>
          Promise.all(
            [ids(store, query), count(store, query)].map((result) =>
              assert.rejects(result, (e) => {
                assert.ok(e instanceof InvalidArgumentError, String(e));
                assert.match(e.message, message, query);
                return true;
              }),
            ),
          );
        const onList =
          /and Tags is a KeywordList \(namespace 'default' registers it as one\)\. A KeywordList takes only =, !=, IN and NOT IN: match whole elements with = or IN, e\.g\. Tags IN/;
        for (const op of ['<', '<=', '>', '>=']) {
          await refused(
            `Tags ${op} 'b'`,
            new RegExp(
              `^Invalid list filter: ${op} applies to Keyword, Int, Double, Datetime and Bool search attributes, ${onList.source}`,
            ),
          );
        }
        await refused(
          "Tags BETWEEN 'a' AND 'c'",
          /BETWEEN applies to Keyword, Int, Double and Datetime search attributes/,
        );
        await refused("Tags NOT BETWEEN 'a' AND 'c'", onList);
        await refused("Vip = true AND (Tags = 'a' OR Tags > 'x')", onList);
        const onBool =
          /BETWEEN applies to Keyword, Int, Double and Datetime search attributes, and Vip is a Bool \(namespace 'default' registers it as one\)\. Compare it with = or !=, e\.g\. Vip = true\./;
        await refused('Vip BETWEEN false AND true', onBool);
        await refused("Vip NOT BETWEEN 'a' AND 'c'", onBool);

        // What each type takes still applies.
        assert.deepEqual(await ids(store, "Tags = 'a'"), ['list']);
        assert.deepEqual(await ids(store, "Tags != 'a'"), ['text']);
        assert.deepEqual(await ids(store, "Tags IN ('z', 'b') ORDER BY WorkflowId"), [
          'list',
          'text',
        ]);
        assert.deepEqual(await ids(store, "Tags NOT IN ('z')"), ['text']);
        assert.equal(await count(store, 'Tags IS NOT NULL'), 2);
        assert.deepEqual(await ids(store, 'Vip = true'), ['bool']);
        assert.deepEqual(await ids(store, 'Vip != true'), ['text']);
        // Temporal takes <, <=, >, >= on a Bool (false < true).
        assert.deepEqual(await ids(store, 'Vip > false'), ['bool']);
      }));

    test('a write registers the search attributes it introduces; one of another type is refused and writes nothing', () =>
      withStore(async (store) => {
        const reg = (types: Record<string, 'Int' | 'Keyword'>) => ({
          registerSearchAttributes: { namespace: 'default', types },
        });
        const first = makeRun({ workflowId: 'first', searchAttributes: { Amount: 1 } });
        await store.createRun({ ...createRequest(first), ...reg({ Amount: 'Int' }) });
        assert.deepEqual(await store.listSearchAttributes({ namespace: 'default' }), {
          Amount: 'Int',
        });
        // The same type again is no change.
        const second = makeRun({ workflowId: 'second', searchAttributes: { Amount: 2 } });
        await store.createRun({ ...createRequest(second), ...reg({ Amount: 'Int' }) });

        const refused = makeRun({ workflowId: 'refused', searchAttributes: { Amount: 'x' } });
        await assert.rejects(
          store.createRun({
            ...createRequest(refused),
            ...reg({ Other: 'Int', Amount: 'Keyword' }),
          }),
          (e) => {
            assert.ok(e instanceof InvalidArgumentError, String(e));
            assert.match(
              e.message,
              /'Amount' as Keyword: it is registered as Int in namespace 'default'/,
            );
            return true;
          },
        );
        assert.equal(await store.getRun({ runId: refused.runId }), undefined);
        assert.deepEqual(await store.listSearchAttributes({ namespace: 'default' }), {
          Amount: 'Int',
        });

        // An append: refused alone, nothing of it written; the others in its batch commit.
        const upsert = appendRequest(first, {
          events: [signaledEvent(first.nextEventId, 's')],
          searchAttributes: { Amount: 'x' },
          ...reg({ Amount: 'Keyword' }),
        });
        const other = appendRequest(second, { events: [signaledEvent(second.nextEventId, 's')] });
        const [a, b] = await Promise.allSettled([
          store.appendToRun(upsert),
          store.appendToRun(other),
        ]);
        assert.equal(a.status, 'rejected');
        assert.equal(b.status, 'fulfilled');
        assert.equal((await store.getRun({ runId: first.runId }))?.nextEventId, first.nextEventId);
        assert.deepEqual((await store.getRun({ runId: first.runId }))?.searchAttributes, {
          Amount: 1,
        });

        // Registered ahead, removed; removing a name not registered changes nothing.
        await store.addSearchAttributes({ namespace: 'default', types: { Tags: 'KeywordList' } });
        await assert.rejects(
          store.addSearchAttributes({
            namespace: 'default',
            types: { Zed: 'Int', Tags: 'Keyword' },
          }),
          InvalidArgumentError,
        );
        await assert.rejects(
          store.removeSearchAttributes({ namespace: 'default', names: ['Tags', 'Never'] }),
          /'Never': namespace 'default' does not register it/,
        );
        assert.deepEqual(await store.listSearchAttributes({ namespace: 'default' }), {
          Amount: 'Int',
          Tags: 'KeywordList',
        });
        await store.removeSearchAttributes({ namespace: 'default', names: ['Tags'] });
        assert.deepEqual(await store.listSearchAttributes({ namespace: 'default' }), {
          Amount: 'Int',
        });
      }));

    test('STARTS_WITH on ExecutionStatus takes a status name, in any case, as = does', () =>
      withStore(async (store) => {
        await create(store, { workflowId: 'open' });
        await create(store, { workflowId: 'done', ...closed(5) });
        assert.deepEqual(await ids(store, "ExecutionStatus STARTS_WITH 'running'"), ['open']);
        assert.deepEqual(await ids(store, "ExecutionStatus NOT STARTS_WITH 'Running'"), ['done']);
      }));

    test('a quote inside a string is written doubled or after a backslash', () =>
      withStore(async (store) => {
        await register(store, { Note: 'Keyword' });
        await create(store, { workflowId: "it's", searchAttributes: { Note: 'say "hi"' } });
        await create(store, { workflowId: 'its' });
        assert.deepEqual(await ids(store, "WorkflowId = 'it''s'"), ["it's"]);
        assert.deepEqual(await ids(store, `WorkflowId = "it\\'s"`), ["it's"]);
        assert.deepEqual(await ids(store, "WorkflowId STARTS_WITH 'it'''"), ["it's"]);
        assert.deepEqual(await ids(store, "WorkflowId IN ('x', 'it''s')"), ["it's"]);
        assert.deepEqual(await ids(store, 'Note = "say ""hi"""'), ["it's"]);
        assert.deepEqual(await ids(store, `Note STARTS_WITH 'say \\"'`), ["it's"]);
      }));

    test('appendToRun replaces search attributes and memo when given, and keeps them otherwise', () =>
      withStore(async (store) => {
        await register(store, { Stage: 'Keyword' });
        const run = await create(store, {
          workflowId: 'upserted',
          searchAttributes: { Stage: 'new' },
          memo: { note: 'a' },
        });
        await store.appendToRun(
          appendRequest(run, {
            events: [signaledEvent(run.nextEventId, 'go')],
            searchAttributes: { Stage: 'paid' },
            memo: { note: 'b' },
          }),
        );
        assert.deepEqual(await ids(store, "Stage = 'paid'"), ['upserted']);
        const after = await store.getRun({ runId: run.runId });
        assert.ok(after);
        assert.deepEqual(after.searchAttributes, { Stage: 'paid' });
        assert.deepEqual(after.memo, { note: 'b' });
        await store.appendToRun(
          appendRequest(after, { events: [signaledEvent(after.nextEventId, 'go')] }),
        );
        assert.deepEqual((await store.getRun({ runId: run.runId }))?.searchAttributes, {
          Stage: 'paid',
        });
      }));

    test('the default order lists open runs first, then the most recently closed; pages do not overlap', () =>
      withStore(async (store) => {
        await create(store, { workflowId: 'closed-early', startTimeMs: 1, ...closed(10) });
        await create(store, { workflowId: 'closed-late', startTimeMs: 2, ...closed(20) });
        await create(store, { workflowId: 'open-old', startTimeMs: 3 });
        await create(store, { workflowId: 'open-new', startTimeMs: 4 });

        assert.deepEqual(await ids(store, ''), [
          'open-new',
          'open-old',
          'closed-late',
          'closed-early',
        ]);
        const pages = [
          await ids(store, 'ORDER BY StartTime', { limit: 3, offset: 0 }),
          await ids(store, 'ORDER BY StartTime', { limit: 3, offset: 3 }),
        ];
        assert.deepEqual(pages, [['closed-early', 'closed-late', 'open-old'], ['open-new']]);
      }));

    test('countRuns counts the matching runs of the namespace', () =>
      withStore(async (store) => {
        await create(store, { workflowType: 'order' });
        await create(store, { workflowType: 'order', ...closed(5) });
        await create(store, { workflowType: 'billing' });
        assert.equal(await count(store, ''), 3);
        assert.equal(await count(store, "WorkflowType = 'order'"), 2);
        assert.equal(
          await count(store, "WorkflowType = 'order' AND ExecutionStatus = 'Running'"),
          1,
        );
        assert.deepEqual(
          await store.countRuns({ namespace: 'elsewhere', filter: parseListFilter('') }),
          { count: 0, groups: [] },
        );
      }));

    test('countRuns with GROUP BY ExecutionStatus counts each status some matching run has, in RunStatus order', () =>
      withStore(async (store) => {
        // Created in the reverse of RunStatus's order, which is not the alphabetical one either.
        await create(store, { workflowType: 'order', ...closed(4, RunStatus.Terminated) });
        await create(store, { workflowType: 'order', ...closed(3, RunStatus.Failed) });
        await create(store, { workflowType: 'order', ...closed(2, RunStatus.Completed) });
        await create(store, { workflowType: 'order' });
        await create(store, { workflowType: 'order' });
        await create(store, { workflowType: 'billing', ...closed(1, RunStatus.Canceled) });
        await store.ensureNamespace({ namespace: 'other' });
        await create(store, { workflowType: 'order', namespace: 'other', ...closed(1) });

        const grouped = (query: string, namespace = 'default') =>
          store.countRuns({ namespace, filter: parseListFilter(query, 'count') });
        assert.deepEqual(await grouped("WorkflowType = 'order' GROUP BY ExecutionStatus"), {
          count: 5,
          groups: [
            { status: RunStatus.Running, count: 2 },
            { status: RunStatus.Completed, count: 1 },
            { status: RunStatus.Failed, count: 1 },
            { status: RunStatus.Terminated, count: 1 },
          ],
        });
        assert.deepEqual(await grouped('GROUP BY ExecutionStatus', 'other'), {
          count: 1,
          groups: [{ status: RunStatus.Completed, count: 1 }],
        });
        assert.deepEqual(
          await grouped(
            "WorkflowType = 'order' AND CloseTime IS NOT NULL GROUP BY ExecutionStatus",
          ),
          {
            count: 3,
            groups: [
              { status: RunStatus.Completed, count: 1 },
              { status: RunStatus.Failed, count: 1 },
              { status: RunStatus.Terminated, count: 1 },
            ],
          },
        );
        assert.deepEqual(await grouped("WorkflowType = 'none' GROUP BY ExecutionStatus"), {
          count: 0,
          groups: [],
        });
      }));

    test('a literal is a bound parameter, never SQL', () =>
      withStore(async (store) => {
        await register(store, { Customer: 'Keyword' });
        await create(store, { workflowId: "it's" });
        assert.deepEqual(await ids(store, `WorkflowId = 'it\\'s' OR WorkflowId = "1' OR 1=1 --"`), [
          "it's",
        ]);
        assert.equal(await count(store, "Customer = 'x\" OR 1=1 --'"), 0);
      }));
  });
}
