/**
 * One simulated-agent process for bench:agents: opens a WebSocket per token, says hello, and
 * answers every job with accept. Talks to the parent over IPC: 'ready' when all are welcomed,
 * then a count of jobs received, reported as they come.
 */
import { readFileSync } from 'node:fs';
import WebSocket from 'ws';

const [url, tokenFile, mode] = process.argv.slice(2) as [string, string, 'edge' | 'raw'];
const tokens = JSON.parse(readFileSync(tokenFile, 'utf8')) as string[];
const sockets: WebSocket[] = [];
let jobs = 0;
let welcomed = 0;

const hello = JSON.stringify({
  v: 1,
  type: 'hello',
  agent_version: 'bench',
  protocol: 1,
  platform: { os: 'linux', arch: 'x86_64', accelerators: [] },
  installed: [],
  jobs: [],
});

/**
 * Opens one agent's socket and resolves at its welcome. A socket closed before its welcome (a
 * loaded edge timing out a hello) is opened again, as an agent would reconnect, and counted.
 */
let reopened = 0;
function open(token: string): Promise<void> {
  return connectOnce(token).catch(() => {
    reopened++;
    return open(token);
  });
}

function connectOnce(token: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const target =
      mode === 'edge' ? `${url.replace(/^http/, 'ws')}/agent` : url.replace(/^http/, 'ws');
    const ws = new WebSocket(target, {
      headers: { Authorization: `Bearer ${token}` },
      perMessageDeflate: false,
    });
    sockets.push(ws);
    ws.once('error', reject);
    ws.once('close', (code) => reject(new Error(`closed before its welcome (${code})`)));
    ws.once('open', () => ws.send(hello));
    ws.on('message', (data) => {
      const msg = JSON.parse(data.toString()) as {
        type: string;
        job?: { id: string };
        ts?: number;
      };
      if (msg.type === 'welcome') {
        welcomed++;
        resolve();
      } else if (msg.type === 'job') {
        ws.send(JSON.stringify({ v: 1, type: 'accept', job: msg.job!.id, duplicate: false }));
        jobs++;
        if (jobs % 500 === 0 || jobs === tokens.length) process.send!({ jobs });
      } else if (msg.type === 'ping') {
        ws.send(JSON.stringify({ v: 1, type: 'pong', ts: msg.ts }));
      }
    });
  });
}

let next = 0;
await Promise.all(
  Array.from({ length: 100 }, async () => {
    while (next < tokens.length) await open(tokens[next++]!);
  }),
);
process.send!({ ready: welcomed, reopened });
process.on('message', (m: { stop?: boolean }) => {
  if (m.stop) {
    for (const ws of sockets) ws.terminate();
    process.exit(0);
  }
});
