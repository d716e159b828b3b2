import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { STICKY_POLLER_WINDOW_MS, StickyQueues, TASK_QUEUE_FIRST_EVERY } from './sticky-queues.ts';

describe('StickyQueues', () => {
  test('a queue is live while it is polled and for the window after its last poll', () => {
    let now = 1_000;
    const queues = new StickyQueues(() => now);
    assert.equal(queues.live('default', 's'), false, 'never polled');
    const { done } = queues.polling('default', 's');
    now += STICKY_POLLER_WINDOW_MS * 3;
    assert.equal(queues.live('default', 's'), true, 'a long poll in progress');
    done();
    now += STICKY_POLLER_WINDOW_MS;
    assert.equal(queues.live('default', 's'), true);
    now += 1;
    assert.equal(queues.live('default', 's'), false, 'unpolled past the window');
    assert.equal(queues.live('other', 's'), false, 'another namespace’s queue of that name');
  });

  test('a queue whose worker stopped is never live again, even polled', () => {
    const queues = new StickyQueues(() => 0);
    const { done } = queues.polling('default', 's');
    queues.gone('default', 's');
    assert.equal(queues.live('default', 's'), false);
    done();
    queues.polling('default', 's');
    assert.equal(queues.live('default', 's'), false);
  });

  test('one poll in five looks at the task queue first', () => {
    const queues = new StickyQueues(() => 0);
    const firsts = Array.from({ length: 3 * TASK_QUEUE_FIRST_EVERY }, () => {
      const p = queues.polling('default', 's');
      p.done();
      return p.taskQueueFirst;
    });
    assert.equal(firsts.filter(Boolean).length, 3);
    assert.equal(firsts[TASK_QUEUE_FIRST_EVERY - 1], true);
  });

  test('queues unpolled past the window are forgotten as new ones come', () => {
    let now = 0;
    const queues = new StickyQueues(() => now);
    for (let i = 0; i < 300; i++) queues.polling('default', `old-${i}`).done();
    now += STICKY_POLLER_WINDOW_MS + 1;
    const { done } = queues.polling('default', 'new');
    assert.equal(queues.live('default', 'new'), true);
    done();
    assert.equal(queues.size, 1, 'only the new queue is remembered');
  });
});
