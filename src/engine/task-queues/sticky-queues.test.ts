import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { STICKY_POLLER_WINDOW_MS, StickyQueues } from './sticky-queues.ts';

describe('StickyQueues', () => {
  test('a queue is live while it is polled and for the window after its last poll', () => {
    let now = 1_000;
    const queues = new StickyQueues({ now: () => now });
    assert.equal(queues.routes('default', 's', 'q'), false, 'never polled');
    const { done } = queues.polling('default', 'q', 's');
    now += STICKY_POLLER_WINDOW_MS * 3;
    assert.equal(queues.routes('default', 's', 'q'), true, 'a long poll in progress');
    done();
    now += STICKY_POLLER_WINDOW_MS;
    assert.equal(queues.routes('default', 's', 'q'), true);
    now += 1;
    assert.equal(queues.routes('default', 's', 'q'), false, 'unpolled past the window');
    assert.equal(queues.routes('other', 's', 'q'), false, 'another namespace’s queue of that name');
  });

  test('a queue whose worker stopped is never live again, even polled', () => {
    const queues = new StickyQueues({ now: () => 0 });
    const { done } = queues.polling('default', 'q', 's');
    queues.gone('default', 's');
    assert.equal(queues.routes('default', 's', 'q'), false);
    done();
    queues.polling('default', 'q', 's');
    assert.equal(queues.routes('default', 's', 'q'), false);
  });

  test('queues unpolled past the window are forgotten as new ones come', () => {
    let now = 0;
    const queues = new StickyQueues({ now: () => now });
    for (let i = 0; i < 300; i++) queues.polling('default', 'q', `old-${i}`).done();
    for (let i = 0; i < 300; i++) queues.polling('default', `plain-${i}`, undefined).done();
    now += STICKY_POLLER_WINDOW_MS + 1;
    const { done } = queues.polling('default', 'q', 'new');
    assert.equal(queues.routes('default', 'new', 'q'), true);
    done();
    assert.equal(queues.size, 1, 'only the new queue is remembered');
  });

  describe('routes', () => {
    test('not alone on the store: to a live sticky queue, whoever else polls', () => {
      const queues = new StickyQueues({ now: () => 0, alone: () => false });
      assert.equal(queues.routes('default', 's', 'q'), false, 'never polled');
      queues.polling('default', 'q', 's').done();
      assert.equal(queues.routes('default', 's', 'q'), true);
    });

    test('alone: only while another worker polls the task queue here', () => {
      let now = 0;
      let alone = true;
      const queues = new StickyQueues({ now: () => now, alone: () => alone });
      queues.polling('default', 'q', 's').done();
      assert.equal(queues.routes('default', 's', 'q'), false, 'the only worker');
      // Another worker with a cache, on another task queue: not beside it.
      queues.polling('default', 'elsewhere', 't').done();
      assert.equal(queues.routes('default', 's', 'q'), false);
      // A worker without a cache polls the task queue.
      const plain = queues.polling('default', 'q', undefined);
      assert.equal(queues.routes('default', 's', 'q'), true);
      assert.equal(queues.routes('other', 's', 'q'), false, 'another namespace');
      now += STICKY_POLLER_WINDOW_MS * 2;
      assert.equal(queues.routes('default', 's', 'q'), false, 's itself unpolled past the window');
      queues.polling('default', 'q', 's').done();
      assert.equal(queues.routes('default', 's', 'q'), true, 'the plain poll goes on');
      plain.done();
      now += STICKY_POLLER_WINDOW_MS + 1;
      queues.polling('default', 'q', 's').done();
      assert.equal(queues.routes('default', 's', 'q'), false, 'the plain poller left');
      // Another worker with a cache polls the task queue.
      const u = queues.polling('default', 'q', 'u');
      assert.equal(queues.routes('default', 's', 'q'), true);
      assert.equal(queues.routes('default', 'u', 'q'), true);
      queues.gone('default', 'u');
      assert.equal(queues.routes('default', 's', 'q'), false, 'a worker that stopped is not one');
      u.done();
      // Another engine joins the store: its workers are not seen here.
      alone = false;
      assert.equal(queues.routes('default', 's', 'q'), true);
    });

    test('a sticky queue polled beside another task queue moves there', () => {
      const queues = new StickyQueues({ now: () => 0, alone: () => true });
      queues.polling('default', 'q', 's').done();
      queues.polling('default', 'q', 't').done();
      assert.equal(queues.routes('default', 's', 'q'), true);
      queues.polling('default', 'r', 't').done();
      assert.equal(queues.routes('default', 's', 'q'), false, 't polls r now, not q');
      assert.equal(queues.routes('default', 't', 'r'), false, 'alone on r');
    });
  });
});
