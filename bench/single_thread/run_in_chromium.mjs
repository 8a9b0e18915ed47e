// Runs an emscripten program (.js + .wasm, default ENVIRONMENT) in headless
// Chromium and prints its standard output: the program's arguments after the
// .js path, its stdout lines on ours. Ends when the program prints
// "bench-done" or exits; exit code 1 on a page error or a FAILED line.
//   node run_in_chromium.mjs <program.js> [program args...]
import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '../../tests/browser/package.json'));
const { chromium } = require('playwright-core');

const [program, ...programArgs] = process.argv.slice(2);
if (!program) throw new Error('usage: run_in_chromium.mjs <program.js> [args...]');
const dir = path.dirname(path.resolve(program));
const script = path.basename(program);

const page = `<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><script>
var Module = { arguments: ${JSON.stringify(programArgs)},
  print: (line) => console.log(line), printErr: (line) => console.warn(line),
  onExit: (code) => console.log('program-exit ' + code) };
</script><script src="${script}"></script>`;
const types = { '.js': 'text/javascript', '.wasm': 'application/wasm' };
const server = http.createServer((req, res) => {
  const name = path.basename(new URL(req.url, 'http://x').pathname);
  if (name === '' || name === 'index.html') {
    res.writeHead(200, { 'content-type': 'text/html' }).end(page);
    return;
  }
  const file = path.join(dir, name);
  if (!fs.existsSync(file)) { res.writeHead(404).end(); return; }
  res.writeHead(200, { 'content-type': types[path.extname(file)] || 'application/octet-stream' });
  fs.createReadStream(file).pipe(res);
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));

const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-bench-chromium-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
let failed = false;

// Under `chrt -f 50 bench/run-wasm` every Chromium process inherits the
// real-time class. Closing the browser at that priority has hung the machine:
// Chromium's zygote, reaping its children, spun in the kernel (wait4 ->
// shrink_dcache_parent) on a /proc entry that a normal-priority task held and
// could not release, with both cores taken by real-time threads. The timing
// is over by then: leave the real-time class before closing.
function leaveRealTimePriority(profileDir) {
  if (os.platform() !== 'linux') return;
  let pids = [];
  try {
    pids = execFileSync('pgrep', ['-f', profileDir], { encoding: 'utf8' }).split('\n');
  } catch {
    // none found
  }
  for (const pid of [...pids.filter(Boolean), String(process.pid)]) {
    try {
      execFileSync('chrt', ['-a', '-o', '-p', '0', pid], { stdio: 'ignore' });
    } catch {
      // gone already
    }
  }
}
try {
  const tab = context.pages()[0] || await context.newPage();
  const finished = new Promise((resolve) => {
    tab.on('console', (msg) => {
      const text = msg.text();
      if (text.startsWith('program-exit ')) { failed ||= text !== 'program-exit 0'; resolve(); return; }
      console.log(text);
      if (text.includes('FAILED')) failed = true;
      if (text === 'bench-done') resolve();
    });
    tab.on('pageerror', (err) => { console.error('page error: ' + err.message); failed = true; resolve(); });
  });
  await tab.goto(`http://127.0.0.1:${server.address().port}/`);
  await finished;
} finally {
  leaveRealTimePriority(profile);
  await context.close();
  server.close();
  fs.rmSync(profile, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
