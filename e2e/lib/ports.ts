/** Free TCP ports on 127.0.0.1, chosen at run time. */
import * as net from 'net';

/**
 * Binds port 0 on 127.0.0.1, reads the port the kernel chose, closes the socket.
 * There is an unavoidable window between close and the server's own bind; ports
 * handed out by this process are remembered so two calls never return the same one.
 */
const handedOut = new Set<number>();
/**
 * Harnesses that run side by side (e2e/lines.ts) take disjoint ports: this one only those whose
 * remainder modulo E2E_PORT_SLOTS is E2E_PORT_SLOT, so two of them never hand out the same port.
 */
const SLOTS = Number(process.env.E2E_PORT_SLOTS ?? '1');
const SLOT = Number(process.env.E2E_PORT_SLOT ?? '0');

/**
 * A port to try: any (the kernel chooses) for a harness that runs alone; otherwise a random one of this
 * harness's slot, below the kernel's ephemeral range (the kernel hands out only odd ports for port 0,
 * so it cannot serve every slot).
 */
function candidate(): number {
  if (SLOTS === 1) return 0;
  const base = 20000 + Math.floor(Math.random() * ((32000 - 20000) / SLOTS)) * SLOTS;
  return base + SLOT;
}

export async function freePort(host = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await new Promise<number>((resolve) => {
      const srv = net.createServer();
      srv.unref();
      srv.once('error', () => resolve(0)); // taken: try another
      srv.listen({ port: candidate(), host, exclusive: true }, () => {
        const addr = srv.address();
        const p = typeof addr === 'object' && addr ? addr.port : 0;
        srv.close((err) => resolve(err ? 0 : p));
      });
    });
    if (port > 0 && port % SLOTS === SLOT && !handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error('could not find a free port');
}

/** n distinct free ports. */
export async function freePorts(n: number, host = '127.0.0.1'): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(await freePort(host));
  return out;
}

/** True if something accepts TCP connections on host:port. */
export function isListening(port: number, host = '127.0.0.1', timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ port, host });
    const done = (ok: boolean): void => { sock.destroy(); resolve(ok); };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}
