// The JavaScript API of the CommonJS module build, under node's event loop:
// the playground's results, progress, stop, argument errors, disposal.
// TANDEM_MODULE names the built tandem-node.js (set by CTest).
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');

const modulePath = process.env.TANDEM_MODULE;
if (!modulePath) throw new Error('set TANDEM_MODULE to the built tandem-node.js');
const createTandem = require(modulePath);

let tandem;
test.before(async () => {
  tandem = await createTandem();
});

function checkRing(result, actors, messages) {
  assert.equal(result.stopped, false);
  assert.equal(result.messages, messages);
  assert.equal(result.actors, actors);
  assert.equal(result.lastActor, (messages - 1) % actors);
  assert.equal(result.countsSum, messages);
  assert.equal(result.countsMin, Math.floor(messages / actors));
  assert.equal(result.countsMax, Math.ceil(messages / actors));
  assert.ok(result.messagesPerSecond > 0);
}

test('a ring delivers every hop, ends at the right member, and the runtime empties', async () => {
  const rt = tandem.createRuntime();
  try {
    const pg = rt.startPlayground({ actors: 7, messages: 100003 });
    checkRing(await pg.done, 7, 100003);
    // The coordinator and all members have quit.
    await new Promise((r) => setTimeout(r, 10));
    assert.equal(rt.liveActors, 0);
  } finally {
    rt.dispose();
  }
});

test('a long ring is sliced: timers and other tasks run while it works; progress arrives', async () => {
  const rt = tandem.createRuntime({ sliceMs: 2 });
  try {
    assert.equal(rt.sliceMs, 2);
    const progress = [];
    let jsTicks = 0;
    const timer = setInterval(() => ++jsTicks, 1);
    const pg = rt.startPlayground({
      actors: 100, messages: 2000000, progressIntervalMs: 20,
      onProgress: (p) => progress.push(p),
    });
    const result = await pg.done;
    clearInterval(timer);
    checkRing(result, 100, 2000000);
    assert.ok(jsTicks > 0, 'node timers never ran while the ring worked');
    if (result.elapsedMs > 100) {
      assert.ok(progress.length > 0, 'no progress during ' + result.elapsedMs + ' ms');
      for (let i = 1; i < progress.length; ++i)
        assert.ok(progress[i].messages >= progress[i - 1].messages);
      assert.ok(progress.every((p) => p.messages <= 2000000 && p.messagesPerSecond >= 0));
    }
  } finally {
    rt.dispose();
  }
});

test('stop() ends a ring early with stopped: true and kills its members', async () => {
  const rt = tandem.createRuntime();
  try {
    const pg = rt.startPlayground({ actors: 50, messages: 1e9, progressIntervalMs: 5 });
    await new Promise((r) => setTimeout(r, 30));
    pg.stop();
    const result = await pg.done;
    assert.equal(result.stopped, true);
    assert.ok(result.messages > 0 && result.messages < 1e9);
    await new Promise((r) => setTimeout(r, 10));
    assert.equal(rt.liveActors, 0);
    pg.stop(); // a second stop is harmless
  } finally {
    rt.dispose();
  }
});

test('bad options are RangeErrors, not crashes', () => {
  const rt = tandem.createRuntime();
  try {
    assert.throws(() => rt.startPlayground({ actors: 0 }), RangeError);
    assert.throws(() => rt.startPlayground({ messages: 1.5 }), RangeError);
    assert.throws(() => rt.startPlayground({ actors: 'many' }), RangeError);
    assert.throws(() => { rt.sliceMs = 0; }, RangeError);
  } finally {
    rt.dispose();
  }
});

test('dispose() settles running playgrounds as stopped and is idempotent', async () => {
  const rt = tandem.createRuntime();
  const pg = rt.startPlayground({ actors: 10, messages: 1e9 });
  await new Promise((r) => setTimeout(r, 5));
  rt.dispose();
  const result = await pg.done;
  assert.equal(result.stopped, true);
  rt.dispose();
  assert.equal(rt.disposed, true);
  assert.throws(() => rt.liveActors, /disposed/);
});

test('a throwing progress callback does not break the ring; its error goes to onCallbackError', async () => {
  const errors = [];
  const rt = tandem.createRuntime({ onCallbackError: (e) => errors.push(e) });
  try {
    const pg = rt.startPlayground({
      actors: 3, messages: 3000000, progressIntervalMs: 1,
      onProgress: () => { throw new Error('from the callback'); },
    });
    checkRing(await pg.done, 3, 3000000);
    await new Promise((r) => setTimeout(r, 5));
  } finally {
    rt.dispose();
  }
  assert.ok(errors.length > 0, 'the ring took too short to report progress');
  for (const e of errors) assert.equal(e.message, 'from the callback');
});

test('repeated create/run/dispose does not grow the heap', async () => {
  const heap = () => tandem.heapBytesInUse();
  // Warm up (first-use allocations), then compare bytes in use: a leak per
  // round would show 50 times over.
  for (let i = 0; i < 3; ++i) {
    const rt = tandem.createRuntime();
    await rt.startPlayground({ actors: 1000, messages: 10000 }).done;
    rt.dispose();
  }
  const before = heap();
  for (let i = 0; i < 50; ++i) {
    const rt = tandem.createRuntime();
    await rt.startPlayground({ actors: 1000, messages: 10000 }).done;
    rt.dispose();
  }
  assert.ok(heap() <= before, `heap grew from ${before} to ${heap()} bytes`);
});

test('a session without WebSocket support (node) reports disconnected, fails calls, closes, leaks nothing', async () => {
  const rt = tandem.createRuntime();
  try {
    const states = [];
    const s = rt.connect('ws://127.0.0.1:1/rpc', {
      reconnect: { initialMs: 5, maxMs: 20 },
      onStateChange: (e) => states.push(e),
    });
    await new Promise((r) => setTimeout(r, 100));
    assert.ok(states.some((e) => e.state === 'disconnected' && e.retryMs > 0), JSON.stringify(states));
    // Backoff grows up to its maximum.
    const retries = states.filter((e) => e.state === 'disconnected').map((e) => e.retryMs);
    assert.ok(retries.length >= 2);
    assert.ok(retries[1] > retries[0] && Math.max(...retries) <= 20);
    await assert.rejects(s.call('add', [1, 2]), (err) => err instanceof tandem.TandemError &&
      err.name === 'ConnectionError' && err.code === tandem.ERR_DISCONNECTED);
    s.close();
    // Closing, not yet closed: a call fails at once instead of waiting for the end.
    const early = await s.call('add', [1, 2]).then(() => null, (err) => ({ err, state: s.state }));
    assert.equal(early.err.name, 'ConnectionError');
    assert.match(early.err.message, /session closed/);
    assert.notEqual(early.state, 'closed');
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(s.state, 'closed');
    await assert.rejects(s.call('add', [1, 2]), /session closed/);
    // Repeated connect/close: the heap stays flat.
    const cycle = async () => {
      const x = rt.connect('ws://127.0.0.1:1/rpc', { reconnect: { initialMs: 1, maxMs: 2 } });
      await new Promise((r) => setTimeout(r, 5));
      x.close();
      await new Promise((r) => setTimeout(r, 5));
      assert.equal(x.state, 'closed');
    };
    for (let i = 0; i < 3; ++i) await cycle();
    const before = tandem.heapBytesInUse();
    for (let i = 0; i < 30; ++i) await cycle();
    assert.ok(tandem.heapBytesInUse() <= before, `heap grew from ${before} to ${tandem.heapBytesInUse()}`);
  } finally {
    rt.dispose();
  }
});
