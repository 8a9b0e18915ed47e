// The demo page: the actor playground (and, when the module has sessions,
// the RPC panel). Everything a test needs to read is in the DOM.
import createTandem from './tandem/tandem.mjs';

const $ = (id) => document.getElementById(id);
const fmt = (n) => Math.round(n).toLocaleString('en-US');

// -- main-thread animation and frame-gap meter -------------------------------
// The bar moves from requestAnimationFrame, so it stutters exactly when the
// page's thread is blocked. Gaps between frames are recorded per run, from
// the run's start to its end: a stall before the first frame or after the
// last one counts too.
const frames = {
  last: 0, gaps: [], recording: false,
  start() { this.gaps = []; this.last = performance.now(); this.recording = true; },
  stop() {
    this.recording = false;
    this.gaps.push(performance.now() - this.last);
    return summarize(this.gaps);
  },
};
function summarize(gaps) {
  if (gaps.length === 0) return { count: 0, p50: 0, p99: 0, max: 0, gaps: [] };
  const s = [...gaps].sort((a, b) => a - b);
  const at = (q) => s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)];
  return { count: s.length, p50: at(0.5), p99: at(0.99), max: s[s.length - 1],
           gaps: gaps.map((g) => Math.round(g * 10) / 10) };
}
function animate(t) {
  if (frames.recording) {
    // t is the frame's start, which may precede the run's start.
    frames.gaps.push(Math.max(0, t - frames.last));
    frames.last = Math.max(t, frames.last);
  }
  const width = $('runner').parentElement.clientWidth - 40;
  const x = (t / 4) % (2 * width);
  $('runner').style.transform = `translateX(${x < width ? x : 2 * width - x}px)`;
  requestAnimationFrame(animate);
}
requestAnimationFrame(animate);

// -- module ------------------------------------------------------------------
let tandem;
let runtime;
try {
  tandem = await createTandem();
  runtime = tandem.createRuntime();
  $('module-state').textContent = 'module loaded';
  $('module-state').dataset.state = 'done';
} catch (err) {
  $('module-state').textContent = 'could not load the module: ' + err.message;
  $('module-state').dataset.state = 'error';
  throw err;
}

// -- playground ----------------------------------------------------------------
let playground = null;
$('pg-start').disabled = false;

$('pg-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  if (playground) return;
  const actors = Number($('pg-actors').value);
  const messages = Number($('pg-messages').value);
  let pg;
  try {
    pg = runtime.startPlayground({
      actors, messages, progressIntervalMs: 100,
      onProgress(p) {
        $('pg-count').textContent = fmt(p.messages);
        $('pg-rate').textContent = fmt(p.messagesPerSecond);
      },
    });
  } catch (err) {
    setStatus('error', err.message);
    return;
  }
  playground = pg;
  $('pg-start').disabled = true;
  $('pg-stop').disabled = false;
  $('pg-result').textContent = '–';
  $('pg-check').textContent = '–';
  setStatus('running', 'running');
  frames.start();
  const r = await pg.done;
  const f = frames.stop();
  playground = null;
  $('pg-start').disabled = false;
  $('pg-stop').disabled = true;
  $('pg-count').textContent = fmt(r.messages);
  $('pg-rate').textContent = fmt(r.messagesPerSecond) + ' (whole run)';
  $('pg-result').textContent =
    `${fmt(r.messages)} messages through ${fmt(r.actors)} actors in ${r.elapsedMs.toFixed(1)} ms; ` +
    `last hop at actor ${r.lastActor}; per-actor counts sum ${fmt(r.countsSum)}, ` +
    `min ${fmt(r.countsMin)}, max ${fmt(r.countsMax)}`;
  $('pg-result').dataset.json = JSON.stringify(r);
  $('frames').textContent =
    `${f.count} frames, p50 ${f.p50.toFixed(1)} ms, p99 ${f.p99.toFixed(1)} ms, max ${f.max.toFixed(1)} ms`;
  $('frames').dataset.json = JSON.stringify(f);
  if (r.stopped) {
    setStatus('stopped', 'stopped');
    return;
  }
  const ok = r.messages === messages && r.lastActor === (messages - 1) % actors &&
    r.countsSum === messages && r.countsMin === Math.floor(messages / actors) &&
    r.countsMax === Math.ceil(messages / actors);
  $('pg-check').textContent = ok ? 'correct' : 'WRONG';
  $('pg-check').className = ok ? 'ok' : 'error';
  setStatus('done', 'done');
});

$('pg-stop').addEventListener('click', () => { if (playground) playground.stop(); });

let runsFinished = 0;
function setStatus(state, text) {
  // data-runs counts finished runs, so a test can wait for the next one
  // even when it is over before the test looks.
  if (state === 'done' || state === 'stopped') $('pg-status').dataset.runs = String(++runsFinished);
  $('pg-status').dataset.state = state;
  $('pg-status').textContent = text;
}

// -- RPC panel -----------------------------------------------------------------
const rpcUrl = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/rpc';
$('rpc-url').textContent = rpcUrl;
const session = runtime.connect(rpcUrl, {
  reconnect: { initialMs: 250, maxMs: 4000 },
  onStateChange({ state, detail, retryMs }) {
    const el = $('rpc-state');
    el.dataset.state = state;
    el.textContent = state === 'disconnected'
      ? `disconnected (${detail}); reconnecting in ${Math.round(retryMs)} ms`
      : state;
    if (state === 'open') el.dataset.opens = String(Number(el.dataset.opens || 0) + 1);
  },
});
session.on('tick', (params) => {
  const li = document.createElement('li');
  li.textContent = `tick ${params.seq}`;
  li.dataset.seq = String(params.seq);
  $('rpc-ticks-list').append(li);
});

let callCount = 0;
// Runs one call and logs it: name, outcome (result or error code), latency.
async function logged(name, method, params, options) {
  const li = document.createElement('li');
  li.dataset.call = String(++callCount);
  li.dataset.name = name;
  li.dataset.status = 'pending';
  li.textContent = `${name}: pending`;
  $('rpc-log').prepend(li);
  const t0 = performance.now();
  try {
    const result = await session.call(method, params, options);
    const ms = performance.now() - t0;
    li.dataset.status = 'ok';
    li.dataset.result = JSON.stringify(result);
    li.textContent = `${name}: ${JSON.stringify(result)} (${ms.toFixed(1)} ms)`;
    li.className = 'ok';
  } catch (err) {
    const ms = performance.now() - t0;
    li.dataset.status = 'error';
    li.dataset.code = String(err.code);
    li.dataset.errorName = err.name;
    if (err.data !== undefined) li.dataset.data = JSON.stringify(err.data);
    li.textContent = `${name}: ${err.name} ${err.code}: ${err.message} (${ms.toFixed(1)} ms)`;
    li.className = 'error';
  }
  li.dataset.ms = String(performance.now() - t0);
}

$('rpc-add').addEventListener('click', () =>
  logged('add', 'add', [Number($('rpc-a').value), Number($('rpc-b').value)]));
$('rpc-echo').addEventListener('click', () =>
  logged('echo', 'echo', { text: $('rpc-text').value }));
$('rpc-fail').addEventListener('click', () => logged('fail', 'fail', null));
$('rpc-timeout').addEventListener('click', () =>
  logged('delay-timeout', 'delay', { ms: 2000, value: 'late' }, { timeoutMs: 300 }));
let delayAbort = null;
$('rpc-delay').addEventListener('click', () => {
  delayAbort = new AbortController();
  logged('delay', 'delay', { ms: 5000, value: 'slept' }, { timeoutMs: 10000, signal: delayAbort.signal });
});
$('rpc-cancel').addEventListener('click', () => { if (delayAbort) delayAbort.abort(); });
$('rpc-ticks').addEventListener('click', () => {
  $('rpc-ticks-list').replaceChildren();
  logged('ticks', 'ticks', { n: 5, interval_ms: 100 }, { timeoutMs: 5000 });
});

// For tests and the curious: the module and the page's runtime.
window.tandemDemo = { tandem, runtime, session };

window.addEventListener('pagehide', () => { session.close(); runtime.dispose(); });
