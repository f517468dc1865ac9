// A delaying TCP proxy for the restore bench: it stands between WAL-G and the object store on 127.0.0.1
// and adds a round-trip time to every request, as a store in another zone or region would. Run as its
// own Node process (started here, stopped by its PID), so that the bench's own work never delays it.
//
// The model is that of `tc qdisc … netem delay` on both ends of a link, for plain TCP:
//   - every chunk of bytes is held for half the round-trip time in each direction, in order, without
//     limiting the throughput (chunks in flight overlap);
//   - a new connection first costs one round trip (TCP's handshake), before its first bytes go upstream.
// So a request on an open connection costs one round trip more, and one on a new connection two.
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import { freePort } from '../e2e/lib/ports';
import { Proc, startProcess, waitFor } from '../e2e/lib/proc';

/** The proxy's program (Node stdlib only). Env: PORT, TARGET ("host:port"), RTT_MS. */
export const DELAY_PROXY_JS = `
'use strict';
const net = require('net');
const port = Number(process.env.PORT);
const [host, targetPort] = process.env.TARGET.split(':');
const rtt = Number(process.env.RTT_MS);
const stats = { connections: 0, up: 0, down: 0 };
// Holds each chunk written to "to" until "at" + delay, in order; ends "to" after the last one.
function delayed(to, delay, notBefore) {
  const queue = [];
  let timer = null;
  let last = notBefore;
  const pump = () => {
    timer = null;
    const now = Date.now();
    while (queue.length > 0 && queue[0].at <= now) {
      const { chunk } = queue.shift();
      if (chunk === null) to.end(); else to.write(chunk);
    }
    if (queue.length > 0) timer = setTimeout(pump, queue[0].at - now);
  };
  return (chunk) => {
    last = Math.max(last, Date.now() + delay);
    queue.push({ at: last, chunk });
    if (timer === null) timer = setTimeout(pump, Math.max(0, queue[0].at - Date.now()));
  };
}
const server = net.createServer((client) => {
  stats.connections++;
  const opened = Date.now();
  const upstream = net.connect(Number(targetPort), host);
  // Upstream: the first bytes leave after the handshake's round trip and arrive half a round trip later;
  // every chunk takes half a round trip each way.
  const toUpstream = delayed(upstream, rtt / 2, opened + 1.5 * rtt);
  const toClient = delayed(client, rtt / 2, opened);
  client.on('data', (c) => { stats.up += c.length; toUpstream(c); });
  client.on('end', () => toUpstream(null));
  upstream.on('data', (c) => { stats.down += c.length; toClient(c); });
  upstream.on('end', () => toClient(null));
  const close = () => { client.destroy(); upstream.destroy(); };
  client.on('error', close);
  upstream.on('error', close);
  client.on('close', () => upstream.destroy());
});
server.listen(port, '127.0.0.1', () => console.log('delay proxy on', port, 'to', process.env.TARGET, 'rtt', rtt, 'ms'));
const report = () => console.log(new Date().toISOString(), JSON.stringify(stats));
setInterval(report, 10000).unref();
process.on('SIGTERM', () => { report(); process.exit(0); });
`;

export interface DelayProxy {
  readonly proc: Proc;
  readonly port: number;
  /** http://127.0.0.1:<port>: the endpoint to give WAL-G. */
  readonly endpoint: string;
  readonly rttMs: number;
  stop(): Promise<void>;
}

/** Starts the proxy to target ("127.0.0.1:9000") with rttMs added per round trip; its script and log go to dir. */
export async function startDelayProxy(dir: string, target: string, rttMs: number): Promise<DelayProxy> {
  fs.mkdirSync(dir, { recursive: true });
  const script = path.join(dir, 'delay-proxy.js');
  fs.writeFileSync(script, DELAY_PROXY_JS);
  const port = await freePort();
  const proc = startProcess(process.execPath, [script], {
    name: 'delay-proxy',
    logFile: path.join(dir, 'delay-proxy.log'),
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', PORT: String(port), TARGET: target, RTT_MS: String(rttMs) },
  });
  try {
    await waitFor(() => new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => { s.destroy(); resolve(true); });
      s.on('error', () => resolve(false));
    }), 30_000, { what: 'delay proxy', proc });
  } catch (e) {
    await proc.stop();
    throw e;
  }
  return { proc, port, endpoint: `http://127.0.0.1:${port}`, rttMs, stop: () => proc.stop() };
}
