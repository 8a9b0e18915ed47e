// Starts `rpc_session_demo serve` on 127.0.0.1 (ephemeral port unless one is
// given) with the page's folder as its static files, and reads the URL it
// prints. stop() sends SIGTERM and waits for the exit.
import { spawn } from 'node:child_process';
import readline from 'node:readline';

export function startDemoServer(program, site, port = 0) {
  const child = spawn(program, ['serve', '--port', String(port), '--tcp-port', '0', '--static', site],
                      { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('rpc_session_demo printed no ws:// URL in 20 s')), 20000);
    child.once('exit', (code) => reject(new Error(`rpc_session_demo exited early (${code})`)));
    readline.createInterface({ input: child.stdout }).on('line', (line) => {
      const m = /^ws:\/\/([^:/]+):(\d+)\/rpc$/.exec(line.trim());
      if (!m) return;
      clearTimeout(timer);
      resolve({
        port: Number(m[2]),
        url: `http://${m[1]}:${m[2]}/`,
        stop: async () => { child.kill('SIGTERM'); await exited; },
      });
    });
  });
}
