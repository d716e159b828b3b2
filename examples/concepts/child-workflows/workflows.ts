// The workflows of docs/child-workflows.md: an order that ships each item in a child workflow,
// in parallel, and one that starts a child meant to outlive it (ParentClosePolicy.ABANDON).
import { ParentClosePolicy, executeChild, startChild } from 'reprise/workflow';

export async function shipItem(itemId: string): Promise<string> {
  return Promise.resolve(`shipped ${itemId}`);
}

export async function shipOrder(itemIds: string[]): Promise<string[]> {
  // Run one child per item, in parallel, and wait for all of them.
  return Promise.all(
    itemIds.map((id) => executeChild(shipItem, { workflowId: `ship-${id}`, args: [id] })),
  );
}

export async function auditLater(orderId: string): Promise<void> {
  // Start a child that outlives this workflow.
  await startChild(shipItem, {
    workflowId: `audit-${orderId}`,
    args: [orderId],
    parentClosePolicy: ParentClosePolicy.ABANDON,
  });
}
