// The demo page in headless Chromium (Debian's /usr/bin/chromium driven by
// npm's playwright-core), asserted through the DOM:
//   - the actor playground computes the right result (hops, last member,
//     per-member counts) and can be stopped;
//   - responsiveness: while the ring processes 1,000,000 messages (and
//     10,000,000) the page's requestAnimationFrame keeps firing (p99 frame
//     gap <= 50 ms);
//   - the RPC panel, over a session to rpc_session_demo (which serves the
//     page and /rpc on one port): add, echo, fail (an RpcError), a delay that
//     times out, a cancelled delay, a ticks stream in order, latency shown; stopping the
//     server fails pending calls and shows it, restarting it reconnects;
//   - no uncaught error or console error on the page (apart from the
//     browser's own report of the refused reconnection attempts);
//   - a screenshot of the page is saved as an artifact.
//
//   TANDEM_SITE=<build>/examples/browser_page/site \
//   TANDEM_DEMO=<native build>/examples/rpc_session_demo/rpc_session_demo node --test tests/browser/
// Optional: TANDEM_ARTIFACTS (default <repo>/build/browser), CHROMIUM
// (default /usr/bin/chromium).
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

import { startDemoServer } from './demo_server.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../..');
const site = process.env.TANDEM_SITE;
if (!site || !fs.existsSync(path.join(site, 'index.html')))
  throw new Error('set TANDEM_SITE to the built page folder (<build>/examples/browser_page/site)');
const demo = process.env.TANDEM_DEMO;
if (!demo || !fs.existsSync(demo))
  throw new Error('set TANDEM_DEMO to the built rpc_session_demo (release preset)');
const artifacts = process.env.TANDEM_ARTIFACTS || path.join(repo, 'build', 'browser');
fs.mkdirSync(artifacts, { recursive: true });

// Launch flags that work as root on these machines (toolchain.md).
const launchArgs = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

let server;
let browser;
let context;
let page;
const problems = [];
let serverDown = false;

test.before(async () => {
  server = await startDemoServer(demo, site);
  const userDataDir = fs.mkdtempSync(path.join(artifacts, 'profile-'));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: launchArgs,
    viewport: { width: 1100, height: 900 },
  });
  browser = context;
  page = context.pages()[0] || await context.newPage();
  page.on('pageerror', (err) => problems.push('uncaught: ' + err.message));
  page.on('console', (msg) => {
    // While the server is down the browser itself logs each refused
    // WebSocket attempt; that is expected there, nothing else is.
    if (msg.type() === 'error' && !(serverDown && /WebSocket connection to .* failed/.test(msg.text())))
      problems.push('console error: ' + msg.text());
  });
  await page.goto(server.url + 'index.html');
  await page.waitForSelector('#module-state[data-state="done"]', { timeout: 30000 });
  process.on('exit', () => fs.rmSync(userDataDir, { recursive: true, force: true }));
});

test.after(async () => {
  if (page) await page.screenshot({ path: path.join(artifacts, 'page.png'), fullPage: true });
  if (browser) await browser.close();
  if (server) await server.stop();
});

async function runPlayground(actors, messages) {
  await page.fill('#pg-actors', String(actors));
  await page.fill('#pg-messages', String(messages));
  const runs = Number(await page.getAttribute('#pg-status', 'data-runs') || 0);
  // Start once the page is rendering steadily (five frames in a row): a run
  // of 1,000,000 messages now takes 120-200 ms, so a compositor that has not
  // started producing frames yet (seen once, on the first run after load)
  // would otherwise decide the frame count.
  await page.evaluate(() => new Promise((resolve) => {
    let seen = 0;
    const frame = () => (++seen >= 5 ? resolve() : requestAnimationFrame(frame));
    requestAnimationFrame(frame);
  }));
  await page.click('#pg-start');
  await page.waitForFunction((before) =>
    Number(document.getElementById('pg-status').dataset.runs || 0) > before, runs, { timeout: 120000 });
  return {
    status: await page.getAttribute('#pg-status', 'data-state'),
    result: JSON.parse(await page.getAttribute('#pg-result', 'data-json')),
    frames: JSON.parse(await page.getAttribute('#frames', 'data-json')),
    check: await page.textContent('#pg-check'),
  };
}

test('playground: 1,000,000 messages around 100 actors, right result, page stays responsive', async () => {
  // Warm up first: during the page's first run Chromium compiles the hot
  // wasm again, optimised, on background threads, which on a two-core
  // machine also delays the compositor's frames (gaps of 33-50 ms seen in
  // cold runs only). What is asserted here is how the runtime yields, on
  // warm code, as in the bench.
  await runPlayground(100, 200000);
  const { status, result, frames, check } = await runPlayground(100, 1000000);
  assert.equal(status, 'done');
  assert.equal(result.stopped, false);
  assert.equal(result.messages, 1000000);
  assert.equal(result.lastActor, 999999 % 100);
  assert.equal(result.countsSum, 1000000);
  assert.equal(result.countsMin, 10000);
  assert.equal(result.countsMax, 10000);
  assert.equal(check, 'correct');
  console.log(`# playground: ${result.messages} messages in ${result.elapsedMs.toFixed(1)} ms ` +
              `(${Math.round(result.messagesPerSecond)} msgs/s); frames during the run: ` +
              `${frames.count}, gap p50 ${frames.p50.toFixed(1)} ms, p99 ${frames.p99.toFixed(1)} ms, ` +
              `max ${frames.max.toFixed(1)} ms`);
  fs.writeFileSync(path.join(artifacts, 'frame_gaps.json'), JSON.stringify({ result, frames }, null, 2));
  // The gaps run from the run's start to its end (the first and last are
  // partial), so a stall anywhere in the run counts, however few frames a
  // fast run spans (1,000,000 messages take ~50-120 ms: 3-8 gaps, p99 = max).
  assert.ok(frames.count >= 1 && frames.gaps.length === frames.count, 'no frame gaps recorded');
  assert.ok(frames.p99 <= 50, `p99 frame gap ${frames.p99} ms > 50 ms (gaps: ${frames.gaps.join(', ')})`);
});

test('playground: a run of 10,000,000 messages keeps the frames coming throughout', async () => {
  // 1,000,000 messages now take ~50-120 ms, about as long as the gap
  // allowed: a runtime that never yielded could pass the test above. This
  // run spans dozens of frames.
  const { status, result, frames } = await runPlayground(100, 10000000);
  assert.equal(status, 'done');
  assert.equal(result.messages, 10000000);
  console.log(`# playground: ${result.messages} messages in ${result.elapsedMs.toFixed(1)} ms; ` +
              `${frames.count} frame gaps, p50 ${frames.p50.toFixed(1)} ms, p99 ${frames.p99.toFixed(1)} ms, ` +
              `max ${frames.max.toFixed(1)} ms`);
  assert.ok(frames.count >= result.elapsedMs / 50,
            `${frames.count} frame gaps in a ${result.elapsedMs} ms run: fewer than one per 50 ms`);
  assert.ok(frames.p99 <= 50, `p99 frame gap ${frames.p99} ms > 50 ms`);
});

test('playground: an uneven ring (7 actors, 100,003 messages)', async () => {
  const { status, result, check } = await runPlayground(7, 100003);
  assert.equal(status, 'done');
  assert.equal(result.messages, 100003);
  assert.equal(result.lastActor, 100002 % 7);
  assert.equal(result.countsSum, 100003);
  assert.equal(result.countsMin, Math.floor(100003 / 7));
  assert.equal(result.countsMax, Math.ceil(100003 / 7));
  assert.equal(check, 'correct');
});

test('playground: Stop ends a long run early and the page can start again', async () => {
  await page.fill('#pg-actors', '10');
  await page.fill('#pg-messages', '1000000000');
  await page.click('#pg-start');
  await page.waitForFunction(() =>
    Number(document.getElementById('pg-count').textContent.replace(/,/g, '')) > 0, null, { timeout: 10000 });
  await page.click('#pg-stop');
  await page.waitForSelector('#pg-status[data-state="stopped"]', { timeout: 10000 });
  const result = JSON.parse(await page.getAttribute('#pg-result', 'data-json'));
  assert.equal(result.stopped, true);
  assert.ok(result.messages > 0 && result.messages < 1e9);
  assert.equal(await page.isDisabled('#pg-start'), false);
  const again = await runPlayground(3, 30000);
  assert.equal(again.check, 'correct');
});

async function rpc(button, name) {
  const before = await page.locator(`#rpc-log li[data-name="${name}"]`).count();
  await page.click(button);
  const item = page.locator(`#rpc-log li[data-name="${name}"]`).first();
  await page.waitForFunction(([n, count]) => {
    const items = document.querySelectorAll(`#rpc-log li[data-name="${n}"]`);
    return items.length > count && items[0].dataset.status !== 'pending';
  }, [name, before], { timeout: 15000 });
  return {
    status: await item.getAttribute('data-status'),
    result: await item.getAttribute('data-result'),
    code: await item.getAttribute('data-code'),
    errorName: await item.getAttribute('data-error-name'),
    data: await item.getAttribute('data-data'),
    ms: Number(await item.getAttribute('data-ms')),
  };
}

test('rpc: the session opens; add and echo answer with latency shown', async () => {
  await page.waitForSelector('#rpc-state[data-state="open"]', { timeout: 15000 });
  await page.fill('#rpc-a', '2');
  await page.fill('#rpc-b', '40');
  const add = await rpc('#rpc-add', 'add');
  assert.equal(add.status, 'ok');
  assert.equal(add.result, '42');
  assert.ok(add.ms > 0 && add.ms < 5000);
  await page.fill('#rpc-text', 'héllo "wörld"');
  const echo = await rpc('#rpc-echo', 'echo');
  assert.equal(echo.status, 'ok');
  assert.deepEqual(JSON.parse(echo.result), { text: 'héllo "wörld"' });
  assert.match(await page.textContent('#rpc-log li[data-name="add"]'), /\d+\.\d ms/);
});

test('rpc: a method that fails rejects with an RpcError carrying the code and data', async () => {
  const r = await rpc('#rpc-fail', 'fail');
  assert.equal(r.status, 'error');
  assert.equal(r.errorName, 'RpcError');
  assert.equal(r.code, '-32001');
  assert.deepEqual(JSON.parse(r.data), { reason: 'demo' });
});

test('rpc: a 2 s delay with a 300 ms timeout fails as a timeout', async () => {
  const r = await rpc('#rpc-timeout', 'delay-timeout');
  assert.equal(r.status, 'error');
  assert.equal(r.errorName, 'TimeoutError');
  assert.ok(r.ms >= 250 && r.ms < 1900, `timed out after ${r.ms} ms`);
});

test('rpc: a delay cancelled from the page fails as cancelled, at once', async () => {
  await page.click('#rpc-delay');
  await page.waitForSelector('#rpc-log li[data-name="delay"][data-status="pending"]');
  await page.waitForTimeout(200);
  await page.click('#rpc-cancel');
  await page.waitForSelector('#rpc-log li[data-name="delay"]:not([data-status="pending"])', { timeout: 3000 });
  const item = page.locator('#rpc-log li[data-name="delay"]').first();
  assert.equal(await item.getAttribute('data-status'), 'error');
  assert.equal(await item.getAttribute('data-code'), '-32800');
  assert.equal(await item.getAttribute('data-error-name'), 'AbortError');
  assert.ok(Number(await item.getAttribute('data-ms')) < 2000);
});

test('rpc: the ticks stream arrives live and in order before the result', async () => {
  const r = await rpc('#rpc-ticks', 'ticks');
  assert.equal(r.status, 'ok');
  assert.equal(r.result, '5');
  const seqs = await page.$$eval('#rpc-ticks-list li', (lis) => lis.map((li) => Number(li.dataset.seq)));
  assert.deepEqual(seqs, [1, 2, 3, 4, 5]);
  assert.ok(r.ms >= 400, `5 ticks 100 ms apart took only ${r.ms} ms`);
});

test('rpc: stopping the server fails pending calls and shows it; restarting it reconnects', async () => {
  // A call in flight when the server goes away.
  await page.click('#rpc-delay');
  await page.waitForSelector('#rpc-log li[data-name="delay"][data-status="pending"]');
  const opensBefore = Number(await page.getAttribute('#rpc-state', 'data-opens'));
  serverDown = true;
  const port = server.port;
  await server.stop();
  server = null;
  await page.waitForSelector('#rpc-log li[data-name="delay"]:not([data-status="pending"])', { timeout: 10000 });
  const failed = page.locator('#rpc-log li[data-name="delay"]').first();
  assert.equal(await failed.getAttribute('data-status'), 'error');
  assert.equal(await failed.getAttribute('data-error-name'), 'ConnectionError');
  await page.waitForSelector('#rpc-state[data-state="disconnected"]', { timeout: 5000 });
  assert.match(await page.textContent('#rpc-state'), /reconnecting in \d+ ms/);
  // A call while disconnected fails at once.
  const offline = await rpc('#rpc-add', 'add');
  assert.equal(offline.status, 'error');
  assert.equal(offline.errorName, 'ConnectionError');
  // Let a few attempts fail (backoff grows), then bring the server back.
  await page.waitForTimeout(1500);
  server = await startDemoServer(demo, site, port);
  await page.waitForFunction((n) =>
    Number(document.getElementById('rpc-state').dataset.opens) > n, opensBefore, { timeout: 15000 });
  serverDown = false;
  const again = await rpc('#rpc-add', 'add');
  assert.equal(again.status, 'ok');
  assert.equal(again.result, '42');
});

test('rpc: 20 connect/close cycles against the server leave the wasm heap flat', async () => {
  const grew = await page.evaluate(async () => {
    const { tandem, runtime } = window.tandemDemo;
    const cycle = async () => {
      const s = runtime.connect(`ws://${location.host}/rpc`);
      await new Promise((resolve) => {
        const t = setInterval(() => { if (s.state === 'open') { clearInterval(t); resolve(); } }, 5);
      });
      const r = await s.call('add', [1, 2]);
      if (r !== 3) throw new Error('add gave ' + r);
      s.close();
      await new Promise((resolve) => {
        const t = setInterval(() => { if (s.state === 'closed') { clearInterval(t); resolve(); } }, 5);
      });
    };
    for (let i = 0; i < 3; ++i) await cycle();
    const before = tandem.heapBytesInUse();
    for (let i = 0; i < 20; ++i) await cycle();
    return tandem.heapBytesInUse() - before;
  });
  assert.ok(grew <= 0, `the heap grew by ${grew} bytes over 20 cycles`);
});

test('no uncaught errors or console errors on the page', () => {
  assert.deepEqual(problems, []);
});
