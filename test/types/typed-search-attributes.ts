// Compile-only test of typed search attributes, checked by `npm run typecheck`: the names
// Temporal's SDK exports from its client and workflow packages, where its options take them,
// and the `@ts-expect-error` lines prove that a value not of its key's type is rejected.
import {
  SearchAttributeType as ClientSearchAttributeType,
  TypedSearchAttributes as ClientTypedSearchAttributes,
  defineSearchAttributeKey as clientDefineSearchAttributeKey,
} from 'reprise/client';
import type {
  Client,
  ScheduleDescription,
  ScheduleSummary,
  SearchAttributeKey as ClientSearchAttributeKey,
  SearchAttributePair as ClientSearchAttributePair,
  WorkflowExecutionDescription,
  WorkflowExecutionInfo,
} from 'reprise/client';
import {
  SearchAttributeType,
  TypedSearchAttributes,
  defineSearchAttributeKey,
  makeContinueAsNewFunc,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
} from 'reprise/workflow';
import type {
  SearchAttributeKey,
  SearchAttributePair,
  SearchAttributeUpdatePair,
} from 'reprise/workflow';

/** Never defined: the functions below are never called. */
declare function use(...values: unknown[]): void;

export async function inWorkflow(): Promise<void> {
  const amount: SearchAttributeKey<'INT'> = defineSearchAttributeKey(
    'Amount',
    SearchAttributeType.INT,
  );
  const paidAt = defineSearchAttributeKey('PaidAt', SearchAttributeType.DATETIME);
  const tags = defineSearchAttributeKey('Tags', SearchAttributeType.KEYWORD_LIST);
  const pairs: SearchAttributePair[] = [
    { key: amount, value: 1 },
    { key: paidAt, value: new Date() },
    { key: tags, value: ['a'] },
  ];
  const updates: SearchAttributeUpdatePair[] = [{ key: amount, value: null }];
  upsertSearchAttributes(updates);
  upsertSearchAttributes([{ key: paidAt, value: new Date() }]);
  // @ts-expect-error -- a DATETIME takes a Date, not its string
  upsertSearchAttributes([{ key: paidAt, value: '2024-01-01' }]);
  // @ts-expect-error -- an INT takes a number
  upsertSearchAttributes([{ key: amount, value: '1' }]);

  const typed: TypedSearchAttributes = workflowInfo().typedSearchAttributes;
  const when: Date | undefined = typed.get(paidAt);
  const list: string[] | undefined = typed.get(tags);
  const copy: TypedSearchAttributes = typed.updateCopy(updates);
  use(when, list, copy.has(amount), copy.getAll(), new TypedSearchAttributes(pairs));

  await startChild('child', { typedSearchAttributes: pairs });
  await startChild('child', { typedSearchAttributes: typed });
  await makeContinueAsNewFunc({ typedSearchAttributes: typed })();
}

export async function inClient(client: Client): Promise<void> {
  const customer: ClientSearchAttributeKey<'KEYWORD'> = clientDefineSearchAttributeKey(
    'Customer',
    ClientSearchAttributeType.KEYWORD,
  );
  const pairs: ClientSearchAttributePair[] = [{ key: customer, value: 'acme' }];
  const handle = await client.workflow.start('order', {
    taskQueue: 'orders',
    workflowId: 'order-1',
    typedSearchAttributes: pairs,
  });
  // @ts-expect-error -- a KEYWORD takes a string
  const wrong: ClientSearchAttributePair = { key: customer, value: 42 };
  use(wrong);
  const described: WorkflowExecutionDescription = await handle.describe();
  const name: string | undefined = described.typedSearchAttributes.get(customer);
  const schedule = await client.schedule.create({
    scheduleId: 's',
    spec: { intervals: [{ every: '1 hour' }] },
    action: {
      type: 'startWorkflow',
      workflowType: 'order',
      taskQueue: 'orders',
      typedSearchAttributes: new ClientTypedSearchAttributes(pairs),
    },
    typedSearchAttributes: pairs,
  });
  const d: ScheduleDescription = await schedule.describe();
  for await (const info of client.workflow.list()) {
    const listed: WorkflowExecutionInfo = info;
    use(listed.typedSearchAttributes.get(customer));
  }
  for await (const s of client.schedule.list()) {
    const summary: ScheduleSummary = s;
    use(summary.typedSearchAttributes);
  }
  use(name, d.typedSearchAttributes, d.action.typedSearchAttributes.get(customer));
}
