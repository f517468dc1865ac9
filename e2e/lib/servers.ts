/**
 * Storage servers for the e2e harness, all on 127.0.0.1 and free ports:
 * MinIO (S3, optionally TLS), fake-gcs-server (GCS), Azurite (Azure Blob,
 * HTTPS), an all-in-one OpenStack Swift (tempauth), and a local directory.
 *
 * Each start function returns a StorageServer whose `walgEnv(path)` is the
 * complete provider environment WAL-G 3.0.x needs to use `<bucket>/<path>`.
 *
 * Host-name tricks (no /etc/hosts edits):
 *  - WAL-G builds Azure URLs as https://<account>.blob.<AZURE_ENDPOINT_SUFFIX>/<container>
 *    and GCS (cloud.google.com/go/storage v1.10.0, as pinned by WAL-G 3.0.7) sends
 *    list/stat/delete calls to https://storage.googleapis.com even when
 *    STORAGE_EMULATOR_HOST is set. Both names are reached through a tiny CONNECT
 *    proxy (a separate node process, see LOOPBACK_PROXY_JS) set as HTTPS_PROXY for
 *    wal-g only; it forwards exactly those host:port pairs to the local server and
 *    refuses everything else. Go does not proxy loopback IPs or "localhost", so
 *    STORAGE_EMULATOR_HOST=127.0.0.1:<port> still goes direct.
 *  - TLS: a CA made at run time with openssl; SSL_CERT_FILE points at a bundle
 *    (system CAs + this CA), which Go's crypto/x509 honours on Linux.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import * as https from 'https';
import * as os from 'os';
import * as path from 'path';
import { freePort, freePorts } from './ports';
import { Env, Proc, run, runAs, startProcess, waitFor, chownFor, userInfo } from './proc';
import { azuriteBin, fakeGcsBin, minioBin, OPENSSL, PG_USER, SWIFT } from './tools';

export type Provider = 'minio' | 'gcs' | 'azure' | 'swift' | 'local';

export interface StorageServer {
  provider: Provider;
  /** PID of the main server process (undefined for local). */
  pid?: number;
  host: string;
  port?: number;
  /** Base URL clients use (S3 endpoint, emulator host, blob endpoint, auth URL, or file dir). */
  endpoint: string;
  bucket: string;
  credentials: Record<string, string>;
  /** Base provider env (without a *_PREFIX). */
  env: Env;
  /** Full WAL-G env for storage path `<bucket>/<subPath>`; old=true uses the WALE_*_PREFIX name. */
  walgEnv(subPath: string, opts?: { old?: boolean }): Env;
  /** CA certificate PEM (TLS servers). */
  caFile?: string;
  /** Azure: the workload identity webhook's part (a token file and an Entra ID stand-in). */
  workloadIdentity?: AzureWorkloadIdentity;
  logFile: string;
  /** All processes belonging to this server (main process first). */
  procs: Proc[];
  dir: string;
  /** Stops the processes; removes `dir` (if it made it) unless keepDir or E2E_KEEP_TMP=1. */
  stop(opts?: { keepDir?: boolean }): Promise<void>;
}

export interface CommonOptions {
  /** Bucket / container name (default 'walg'). */
  bucket?: string;
  /** Directory for data, certs and logs (default: a new temp dir). */
  dir?: string;
  /** Readiness timeout (default 60 s). */
  timeoutMs?: number;
}

// ------------------------------------------------------------- helpers ----

/** A temp dir readable (not writable) by everybody, so pgwalg can read CA files. */
export function makeTempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.chmodSync(dir, 0o755);
  return dir;
}

function ensureDir(d: string, mode = 0o755): string {
  fs.mkdirSync(d, { recursive: true });
  fs.chmodSync(d, mode);
  return d;
}

export interface CertFiles {
  caCert: string;
  caKey: string;
  cert: string;
  key: string;
  /** System CA bundle + caCert: use as SSL_CERT_FILE. */
  bundle: string;
}

/** Self-signed CA + server certificate (EC P-256) for the given names/IPs, made with openssl. */
export async function makeCerts(dir: string, dnsNames: string[], ips: string[] = ['127.0.0.1']): Promise<CertFiles> {
  ensureDir(dir);
  const f = (n: string): string => path.join(dir, n);
  const ossl = async (args: string[]): Promise<void> => {
    await run(OPENSSL, args, { PATH: process.env.PATH ?? '/usr/bin:/bin' }, { check: true, timeoutMs: 30_000 });
  };
  await ossl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', f('ca.key'), '-out', f('ca.crt'), '-days', '30', '-subj', '/CN=cdk8s-postgres-walg e2e CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  await ossl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', f('server.key'), '-out', f('server.csr'), '-subj', `/CN=${dnsNames[0] ?? ips[0]}`]);
  const san = [...dnsNames.map((d) => `DNS:${d}`), ...ips.map((i) => `IP:${i}`)].join(',');
  fs.writeFileSync(f('server.ext'), `subjectAltName=${san}\nbasicConstraints=CA:FALSE\n` +
    'keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n');
  await ossl(['x509', '-req', '-in', f('server.csr'), '-CA', f('ca.crt'), '-CAkey', f('ca.key'),
    '-CAcreateserial', '-out', f('server.crt'), '-days', '30', '-extfile', f('server.ext')]);
  const system = ['/etc/ssl/certs/ca-certificates.crt', '/etc/pki/tls/certs/ca-bundle.crt']
    .filter((p) => fs.existsSync(p)).map((p) => fs.readFileSync(p, 'utf8')).join('\n');
  fs.writeFileSync(f('bundle.crt'), `${system}\n${fs.readFileSync(f('ca.crt'), 'utf8')}`);
  for (const n of ['ca.crt', 'server.crt', 'bundle.crt']) fs.chmodSync(f(n), 0o644);
  for (const n of ['ca.key', 'server.key']) fs.chmodSync(f(n), 0o600);
  return { caCert: f('ca.crt'), caKey: f('ca.key'), cert: f('server.crt'), key: f('server.key'), bundle: f('bundle.crt') };
}

export interface HttpResult { status: number; headers: http.IncomingHttpHeaders; body: string; bytes: Buffer }

/** Minimal HTTP(S) request (no proxy). */
export function request(url: string, opts: {
  method?: string; headers?: Record<string, string>; body?: string | Buffer; ca?: string; timeoutMs?: number;
} = {}): Promise<HttpResult> {
  const u = new URL(url);
  const mod = u.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request(u, {
      method: opts.method ?? 'GET',
      headers: opts.headers,
      ca: opts.ca ? fs.readFileSync(opts.ca) : undefined,
      timeout: opts.timeoutMs ?? 5000,
      agent: false,
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const bytes = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: bytes.toString('utf8'), bytes });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`timeout ${url}`)));
    req.on('error', reject);
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

function randomSecret(bytes = 18): string {
  return crypto.randomBytes(bytes).toString('base64url');
}

/**
 * stop(): stops the server's processes (last started first), then removes its
 * temp dir unless E2E_KEEP_TMP=1 (logs are kept for debugging then).
 */
function stopAllOf(procs: Proc[], dir?: string): (opts?: { keepDir?: boolean }) => Promise<void> {
  return async (opts) => {
    for (const p of [...procs].reverse()) await p.stop();
    if (dir && !opts?.keepDir && process.env.E2E_KEEP_TMP !== '1') fs.rmSync(dir, { recursive: true, force: true });
  };
}

// ------------------------------------------------------ loopback proxy ----

/**
 * A small loopback proxy, run as its own process (so it keeps answering while
 * the harness blocks on a synchronous call):
 *  - CONNECT: ROUTES (JSON env) maps "host:port" -> "127.0.0.1:port"; anything
 *    else is refused with 403. Used as HTTPS_PROXY for wal-g.
 *  - plain HTTP (optional): with UPSTREAM=127.0.0.1:port every other request is
 *    forwarded there, after applying REWRITES (JSON [[regex, replacement], ...])
 *    to the path. Used in front of fake-gcs-server (see startFakeGcs).
 *  - GET /healthz answers "ok".
 */
export const LOOPBACK_PROXY_JS = `
'use strict';
const http = require('http');
const net = require('net');
const routes = JSON.parse(process.env.ROUTES || '{}');
const upstream = process.env.UPSTREAM || '';
const rewrites = JSON.parse(process.env.REWRITES || '[]').map(([f, t]) => [new RegExp(f), t]);
const port = Number(process.env.PORT);
const split = (hp) => { const i = hp.lastIndexOf(':'); return [hp.slice(0, i), Number(hp.slice(i + 1))]; };
const srv = http.createServer((req, res) => {
  if (req.url === '/healthz') { res.end('ok'); return; }
  if (!upstream) { res.writeHead(405); res.end('CONNECT only'); return; }
  let p = req.url;
  for (const [re, to] of rewrites) p = p.replace(re, to);
  const [h, hp] = split(upstream);
  const up = http.request({ host: h, port: hp, method: req.method, path: p, headers: req.headers }, (ur) => {
    res.writeHead(ur.statusCode || 502, ur.headers);
    ur.pipe(res);
  });
  up.on('error', (e) => { console.log(new Date().toISOString(), 'upstream', req.method, p, e.code); res.destroy(); });
  req.pipe(up);
});
srv.on('connect', (req, client, head) => {
  const target = routes[req.url.toLowerCase()];
  if (!target) {
    console.log(new Date().toISOString(), 'refused', req.url);
    client.end('HTTP/1.1 403 Forbidden\\r\\n\\r\\n');
    return;
  }
  const [h, hp] = split(target);
  const up = net.connect(hp, h, () => {
    client.write('HTTP/1.1 200 Connection Established\\r\\n\\r\\n');
    if (head && head.length) up.write(head);
    up.pipe(client); client.pipe(up);
  });
  up.on('error', (e) => { console.log(new Date().toISOString(), 'upstream', req.url, e.code); client.destroy(); });
  client.on('error', () => up.destroy());
});
srv.listen(port, '127.0.0.1', () => console.log('loopback proxy on', port, JSON.stringify(routes), upstream));
`;

export interface LoopbackProxy { proc: Proc; port: number; url: string }

export interface LoopbackProxyOptions {
  /** Forward plain HTTP requests to this 127.0.0.1:port. */
  upstream?: string;
  /** Path rewrites for forwarded requests: [regex source, replacement]. */
  rewrites?: Array<[string, string]>;
  name?: string;
  timeoutMs?: number;
}

export async function startLoopbackProxy(dir: string, routes: Record<string, string>, opts: LoopbackProxyOptions = {}): Promise<LoopbackProxy> {
  const name = opts.name ?? 'loopback-proxy';
  const script = path.join(dir, 'loopback-proxy.js');
  fs.writeFileSync(script, LOOPBACK_PROXY_JS);
  const port = await freePort();
  const lower: Record<string, string> = {};
  for (const [k, v] of Object.entries(routes)) lower[k.toLowerCase()] = v;
  const proc = startProcess(process.execPath, [script], {
    name,
    logFile: path.join(dir, `${name}.log`),
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin', PORT: String(port), ROUTES: JSON.stringify(lower),
      UPSTREAM: opts.upstream ?? '', REWRITES: JSON.stringify(opts.rewrites ?? []),
    },
  });
  try {
    await waitFor(async () => (await request(`http://127.0.0.1:${port}/healthz`)).status === 200, opts.timeoutMs ?? 30_000,
      { what: name, proc });
  } catch (e) {
    await proc.stop();
    throw e;
  }
  return { proc, port, url: `http://127.0.0.1:${port}` };
}

// --------------------------------------------------------------- MinIO ----

/** AWS Signature V4 headers for a request to MinIO (region us-east-1). */
export function sigV4Headers(opts: {
  method: string; url: string; accessKey: string; secretKey: string; region?: string; body?: string;
  headers?: Record<string, string>;
}): Record<string, string> {
  const u = new URL(opts.url);
  const region = opts.region ?? 'us-east-1';
  const now = new Date();
  const amzDate = now.toISOString().replace(/[:-]|\.\d{3}/g, '');
  const day = amzDate.slice(0, 8);
  const payloadHash = crypto.createHash('sha256').update(opts.body ?? '').digest('hex');
  const headers: Record<string, string> = {
    ...(opts.headers ?? {}),
    'host': u.host,
    'x-amz-content-sha256': payloadHash,
    'x-amz-date': amzDate,
  };
  const names = Object.keys(headers).map((h) => h.toLowerCase()).sort();
  const lowered: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) lowered[k.toLowerCase()] = v.trim();
  const query = [...u.searchParams.entries()]
    .map(([k, v]) => [encodeURIComponent(k), encodeURIComponent(v)])
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`).join('&');
  const canonical = [opts.method, u.pathname || '/', query,
    names.map((n) => `${n}:${lowered[n]}\n`).join(''), names.join(';'), payloadHash].join('\n');
  const scope = `${day}/${region}/s3/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, crypto.createHash('sha256').update(canonical).digest('hex')].join('\n');
  const hmac = (k: Buffer | string, d: string): Buffer => crypto.createHmac('sha256', k).update(d).digest();
  const kSigning = hmac(hmac(hmac(hmac(`AWS4${opts.secretKey}`, day), region), 's3'), 'aws4_request');
  const signature = crypto.createHmac('sha256', kSigning).update(toSign).digest('hex');
  return {
    ...headers,
    authorization: `AWS4-HMAC-SHA256 Credential=${opts.accessKey}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}`,
  };
}

export interface MinioOptions extends CommonOptions {
  tls?: boolean;
  /**
   * The address it listens on and its endpoint names (default 127.0.0.1): e2e:cluster's round trips give the
   * node's address in the run's network namespace, which its pods reach.
   */
  host?: string;
}

export async function startMinio(opts: MinioOptions = {}): Promise<StorageServer> {
  const ownDir = opts.dir === undefined;
  const dir = opts.dir ?? makeTempDir('e2e-minio-');
  const bucket = opts.bucket ?? 'walg';
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const dataDir = ensureDir(path.join(dir, 'data'), 0o700);
  const certsDir = ensureDir(path.join(dir, 'certs'));
  const host = opts.host ?? '127.0.0.1';
  let caFile: string | undefined;
  if (opts.tls) {
    const c = await makeCerts(path.join(dir, 'pki'), ['localhost'], [...new Set(['127.0.0.1', host])]);
    fs.copyFileSync(c.cert, path.join(certsDir, 'public.crt'));
    fs.copyFileSync(c.key, path.join(certsDir, 'private.key'));
    ensureDir(path.join(certsDir, 'CAs'));
    fs.copyFileSync(c.caCert, path.join(certsDir, 'CAs', 'ca.crt'));
    caFile = c.caCert;
  }
  const [port, consolePort] = await freePorts(2);
  const user = `e2e${randomSecret(6).replace(/[^A-Za-z0-9]/g, 'x')}`;
  const password = randomSecret(24);
  const logFile = path.join(dir, 'minio.log');
  const proc = startProcess(minioBin(), ['server', '--quiet', '--address', `${host}:${port}`,
    '--console-address', `${host}:${consolePort}`, '--certs-dir', certsDir, dataDir], {
    name: 'minio',
    logFile,
    cwd: dir,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: dir,
      MINIO_ROOT_USER: user,
      MINIO_ROOT_PASSWORD: password,
      MINIO_BROWSER: 'off',
      MINIO_UPDATE: 'off',
      MINIO_CALLHOME_ENABLE: 'off',
    },
  });
  const scheme = opts.tls ? 'https' : 'http';
  const endpoint = `${scheme}://${host}:${port}`;
  try {
    await waitFor(async () => (await request(`${endpoint}/minio/health/ready`, { ca: caFile })).status === 200,
      timeoutMs, { what: 'minio ready', proc });
    // Create the bucket with a SigV4-signed PUT (no mc here). /minio/health/ready can
    // answer 200 while the object layer still says 503 XMinioServerNotInitialized: retry.
    const url = `${endpoint}/${bucket}`;
    await waitFor(async () => {
      const res = await request(url, { method: 'PUT', ca: caFile,
        headers: sigV4Headers({ method: 'PUT', url, accessKey: user, secretKey: password }) });
      if (res.status === 200 || /BucketAlreadyOwnedByYou/.test(res.body)) return true;
      if (res.status >= 500) throw new Error(`${res.status} ${res.body}`);
      throw new Error(`minio: create bucket ${bucket}: ${res.status} ${res.body}`);
    }, timeoutMs, { what: `minio bucket ${bucket}`, proc });
  } catch (e) {
    await stopAllOf([proc], ownDir ? dir : undefined)();
    throw e;
  }
  const env: Env = {
    AWS_ACCESS_KEY_ID: user,
    AWS_SECRET_ACCESS_KEY: password,
    AWS_ENDPOINT: endpoint,
    AWS_S3_FORCE_PATH_STYLE: 'true',
    AWS_REGION: 'us-east-1',
    ...(caFile ? { WALG_S3_CA_CERT_FILE: caFile } : {}),
  };
  const procs = [proc];
  return {
    provider: 'minio', pid: proc.pid, host, port, endpoint, bucket,
    credentials: { accessKey: user, secretKey: password },
    env,
    walgEnv: (sub, o) => ({ ...env, [o?.old ? 'WALE_S3_PREFIX' : 'WALG_S3_PREFIX']: `s3://${bucket}/${sub}` }),
    caFile, logFile, procs, dir, stop: stopAllOf(procs, ownDir ? dir : undefined),
  };
}

// ----------------------------------------------------------- fake-gcs -----

export interface FakeGcsOptions extends CommonOptions { backend?: 'memory' | 'filesystem' }

export async function startFakeGcs(opts: FakeGcsOptions = {}): Promise<StorageServer> {
  const ownDir = opts.dir === undefined;
  const dir = opts.dir ?? makeTempDir('e2e-gcs-');
  const bucket = opts.bucket ?? 'walg';
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const backend = opts.backend ?? 'filesystem';
  const certs = await makeCerts(path.join(dir, 'pki'), ['storage.googleapis.com', 'localhost'], ['127.0.0.1']);
  const [httpsPort, httpPort] = await freePorts(2);
  const logFile = path.join(dir, 'fake-gcs-server.log');
  const args = ['-scheme', 'both', '-host', '127.0.0.1', '-port', String(httpsPort), '-port-http', String(httpPort),
    '-cert-location', certs.cert, '-private-key-location', certs.key,
    // Reads go to http://<STORAGE_EMULATOR_HOST>/<bucket>/<object>: only served when the host matches.
    '-public-host', '127.0.0.1', '-external-url', `http://127.0.0.1:${httpPort}`,
    '-backend', backend, '-log-level', 'warn'];
  if (backend === 'filesystem') args.push('-filesystem-root', ensureDir(path.join(dir, 'data'), 0o700));
  const proc = startProcess(fakeGcsBin(), args, {
    name: 'fake-gcs-server', logFile, cwd: dir, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir },
  });
  const base = `http://127.0.0.1:${httpPort}`;
  let proxy: LoopbackProxy;
  try {
    await waitFor(async () => (await request(`${base}/_internal/healthcheck`)).status === 200, timeoutMs,
      { what: 'fake-gcs-server ready', proc });
    const res = await request(`${base}/storage/v1/b?project=e2e`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: bucket }),
    });
    if (res.status !== 200 && res.status !== 409) throw new Error(`fake-gcs: create bucket: ${res.status} ${res.body}`);
    // cloud.google.com/go/storage v1.10.0 (pinned by WAL-G 3.0.7) with STORAGE_EMULATOR_HOST:
    //  - JSON calls (list/stat/compose/delete) go to https://storage.googleapis.com/storage/v1/
    //    until the first upload -> CONNECT route to fake-gcs-server's HTTPS port;
    //  - the first upload sets the shared BasePath to http://<emulator host> WITHOUT
    //    /storage/v1, so later JSON calls hit /b/... -> the proxy, which is also the
    //    emulator host, rewrites ^/b/ to /storage/v1/b/ and forwards to the HTTP port.
    proxy = await startLoopbackProxy(dir, { 'storage.googleapis.com:443': `127.0.0.1:${httpsPort}` },
      { upstream: `127.0.0.1:${httpPort}`, rewrites: [['^/b/', '/storage/v1/b/'], ['^/b$', '/storage/v1/b']] });
  } catch (e) {
    await stopAllOf([proc], ownDir ? dir : undefined)();
    throw e;
  }
  const env: Env = {
    STORAGE_EMULATOR_HOST: `127.0.0.1:${proxy.port}`,
    HTTPS_PROXY: proxy.url,
    SSL_CERT_FILE: certs.bundle,
  };
  const procs = [proc, proxy.proc];
  return {
    provider: 'gcs', pid: proc.pid, host: '127.0.0.1', port: httpPort, endpoint: base, bucket,
    credentials: {}, env,
    walgEnv: (sub, o) => ({ ...env, [o?.old ? 'WALE_GS_PREFIX' : 'WALG_GS_PREFIX']: `gs://${bucket}/${sub}` }),
    caFile: certs.caCert, logFile, procs, dir, stop: stopAllOf(procs, ownDir ? dir : undefined),
  };
}

// ------------------------------------------------------------- Azurite ----

export const AZURITE_ACCOUNT = 'devstoreaccount1';
export const AZURITE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

/** SharedKey Authorization for the Blob service (x-ms-version 2021-08-06 style). */
export function azureSharedKeyHeaders(opts: {
  method: string; url: string; account: string; key: string; headers?: Record<string, string>; contentLength?: number;
  /** Resource path as the server sees it (path-style URLs include the account). Default: URL path. */
  resourcePath?: string;
}): Record<string, string> {
  const u = new URL(opts.url);
  const headers: Record<string, string> = {
    'x-ms-date': new Date().toUTCString(),
    'x-ms-version': '2021-08-06',
    ...(opts.headers ?? {}),
  };
  const h = (n: string): string => {
    const e = Object.entries(headers).find(([k]) => k.toLowerCase() === n);
    return e ? e[1] : '';
  };
  const len = opts.contentLength && opts.contentLength > 0 ? String(opts.contentLength) : '';
  const msHeaders = Object.keys(headers).filter((k) => k.toLowerCase().startsWith('x-ms-'))
    .map((k) => [k.toLowerCase(), headers[k].trim()]).sort((a, b) => (a[0] < b[0] ? -1 : 1))
    .map(([k, v]) => `${k}:${v}\n`).join('');
  const params = [...u.searchParams.entries()].map(([k, v]) => [k.toLowerCase(), v])
    .sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([k, v]) => `\n${k}:${v}`).join('');
  const resource = `/${opts.account}${opts.resourcePath ?? u.pathname}${params}`;
  const toSign = [opts.method, h('content-encoding'), h('content-language'), len, h('content-md5'),
    h('content-type'), '', h('if-modified-since'), h('if-match'), h('if-none-match'), h('if-unmodified-since'),
    h('range'), msHeaders + resource].join('\n');
  const sig = crypto.createHmac('sha256', Buffer.from(opts.key, 'base64')).update(toSign, 'utf8').digest('base64');
  return { ...headers, authorization: `SharedKey ${opts.account}:${sig}` };
}

/** What the Entra ID stand-in is told to expect (the workload identity webhook's settings). */
export const ENTRA_TENANT = '72f988bf-0000-4000-8000-00000000e2e0';
export const ENTRA_CLIENT_ID = '0e2e0e2e-0000-4000-8000-0000000c11e7';
export const ENTRA_HOST = 'login.microsoftonline.com';

/**
 * A stand-in for Microsoft Entra ID's token service, enough for the Azure SDK's workload identity
 * credential (MSAL): instance discovery, the tenant's OpenID configuration and the client-credentials
 * token request. A token is issued only for the expected client ID and tenant, with the exact content of
 * the federated token file as the client assertion (read at each request: the kubelet rotates it), for
 * the Storage scope; it is a JWT whose audience and issuer Azurite's OAuth check accepts (Azurite does not
 * check signatures). Every request is logged with its outcome, so a test can count the exchanges.
 */
export const FAKE_ENTRA_JS = `
const https = require('https'); const fs = require('fs');
const { PORT, CERT, KEY, TENANT, CLIENT_ID, ISSUED_FILE, HOST } = process.env;
const b64 = (o) => Buffer.from(typeof o === 'string' ? o : JSON.stringify(o)).toString('base64url');
const json = (res, status, body) => { res.writeHead(status, { 'content-type': 'application/json' }); res.end(JSON.stringify(body)); };
const base = 'https://' + HOST + '/' + TENANT;
https.createServer({ cert: fs.readFileSync(CERT), key: fs.readFileSync(KEY) }, (req, res) => {
  const u = new URL(req.url, 'https://' + HOST);
  let body = '';
  req.on('data', (d) => { body += d; });
  req.on('end', () => {
    const log = (outcome) => console.log(new Date().toISOString(), req.method, u.pathname, outcome);
    if (req.method === 'GET' && u.pathname === '/healthz') { res.end('ok'); return; }
    if (req.method === 'GET' && u.pathname === '/common/discovery/instance') {
      log('discovery');
      json(res, 200, { 'tenant_discovery_endpoint': base + '/v2.0/.well-known/openid-configuration', 'api-version': '1.1',
        metadata: [{ preferred_network: HOST, preferred_cache: HOST, aliases: [HOST] }] });
      return;
    }
    if (req.method === 'GET' && u.pathname === '/' + TENANT + '/v2.0/.well-known/openid-configuration') {
      log('openid-configuration');
      json(res, 200, { token_endpoint: base + '/oauth2/v2.0/token', authorization_endpoint: base + '/oauth2/v2.0/authorize',
        issuer: base + '/v2.0', jwks_uri: base + '/discovery/v2.0/keys' });
      return;
    }
    if (req.method === 'POST' && u.pathname === '/' + TENANT + '/oauth2/v2.0/token') {
      const f = new URLSearchParams(body);
      const expected = fs.readFileSync(ISSUED_FILE, 'utf8');
      const ok = f.get('grant_type') === 'client_credentials' && f.get('client_id') === CLIENT_ID
        && f.get('client_assertion_type') === 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'
        && f.get('client_assertion') === expected && /storage\\.azure\\.com/.test(f.get('scope') || '');
      if (!ok) {
        log('token refused');
        json(res, 401, { error: 'invalid_client', error_description: 'AADSTS700213: No matching federated identity record found for presented assertion.' });
        return;
      }
      log('token issued');
      const now = Math.floor(Date.now() / 1000);
      const token = b64({ alg: 'RS256', typ: 'JWT' }) + '.' + b64({ aud: 'https://storage.azure.com', iss: 'https://sts.windows.net/' + TENANT + '/',
        nbf: now - 60, iat: now - 60, exp: now + 3600, appid: CLIENT_ID, oid: CLIENT_ID, tid: TENANT, sub: CLIENT_ID }) + '.' + b64('unsigned');
      json(res, 200, { token_type: 'Bearer', expires_in: 3600, ext_expires_in: 3600, access_token: token });
      return;
    }
    log('not found');
    json(res, 404, { error: 'not_found' });
  });
}).listen(Number(PORT), '127.0.0.1', () => console.log('entra stand-in on', PORT));
`;

/** The workload identity webhook's part, for a pod that uses Azure workload identity. */
export interface AzureWorkloadIdentity {
  /** The env the webhook adds to each container (AZURE_CLIENT_ID, …, AZURE_FEDERATED_TOKEN_FILE). */
  readonly podEnv: Env;
  /** The pod's federated token file: write another value to spoil it (the stand-in then refuses it). */
  readonly tokenFile: string;
  /** The stand-in's log: one line per request and outcome. */
  readonly logFile: string;
}

export async function startAzurite(opts: CommonOptions = {}): Promise<StorageServer> {
  const ownDir = opts.dir === undefined;
  const dir = opts.dir ?? makeTempDir('e2e-azurite-');
  const bucket = opts.bucket ?? 'walg';
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const account = AZURITE_ACCOUNT;
  const blobHost = `${account}.blob.localhost`;
  const certs = await makeCerts(path.join(dir, 'pki'), [blobHost, '*.blob.localhost', 'localhost', ENTRA_HOST], ['127.0.0.1']);
  const [port, entraPort] = await freePorts(2);
  const logFile = path.join(dir, 'azurite.log');
  // --oauth basic: bearer tokens (workload identity) besides shared keys; it checks a token's audience,
  // issuer and lifetime, not its signature.
  const proc = startProcess(process.execPath, [azuriteBin(), '--blobHost', '127.0.0.1', '--blobPort', String(port),
    '--location', ensureDir(path.join(dir, 'data'), 0o700), '--cert', certs.cert, '--key', certs.key, '--oauth', 'basic',
    '--loose', '--skipApiVersionCheck', '--disableTelemetry', '--debug', path.join(dir, 'azurite-debug.log')], {
    name: 'azurite', logFile, cwd: dir, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir },
  });
  const endpoint = `https://127.0.0.1:${port}/${account}`;
  // The federated token file (the projected ServiceAccount token, in a cluster) and the Entra ID stand-in.
  const tokenFile = path.join(dir, 'azure-identity-token');
  const issued = `e2e-federated-token-${crypto.randomBytes(8).toString('hex')}`;
  fs.writeFileSync(tokenFile, issued, { mode: 0o644 });
  fs.writeFileSync(path.join(dir, 'issued-token'), issued, { mode: 0o600 });
  const entraLog = path.join(dir, 'entra.log');
  const entraScript = path.join(dir, 'fake-entra.js');
  fs.writeFileSync(entraScript, FAKE_ENTRA_JS);
  const entra = startProcess(process.execPath, [entraScript], {
    name: 'entra', logFile: entraLog,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', PORT: String(entraPort), CERT: certs.cert, KEY: certs.key, TENANT: ENTRA_TENANT,
      CLIENT_ID: ENTRA_CLIENT_ID, ISSUED_FILE: path.join(dir, 'issued-token'), HOST: ENTRA_HOST },
  });
  let proxy: LoopbackProxy;
  try {
    await waitFor(async () => (await request(`https://127.0.0.1:${entraPort}/healthz`, { ca: certs.caCert })).status === 200, timeoutMs,
      { what: 'entra stand-in ready', proc: entra });
    // Any HTTP answer means it is up (an unsigned request gets 403/400).
    await waitFor(async () => (await request(`${endpoint}?comp=list`, { ca: certs.caCert })).status > 0, timeoutMs,
      { what: 'azurite ready', proc });
    const url = `${endpoint}/${bucket}?restype=container`;
    const res = await request(url, { method: 'PUT', ca: certs.caCert,
      headers: azureSharedKeyHeaders({ method: 'PUT', url, account, key: AZURITE_KEY }) });
    if (res.status !== 201 && res.status !== 409) throw new Error(`azurite: create container: ${res.status} ${res.body}`);
    // wal-g dials https://devstoreaccount1.blob.localhost:<port>/...: the proxy carries it to 127.0.0.1:<port>;
    // Azurite takes the account from the host name (production-style URL).
    // Entra ID's host, for the workload identity credential, is carried to the stand-in.
    proxy = await startLoopbackProxy(dir, { [`${blobHost}:${port}`]: `127.0.0.1:${port}`, [`${ENTRA_HOST}:443`]: `127.0.0.1:${entraPort}` });
  } catch (e) {
    await stopAllOf([proc, entra], ownDir ? dir : undefined)();
    throw e;
  }
  const env: Env = {
    AZURE_STORAGE_ACCOUNT: account,
    AZURE_STORAGE_ACCESS_KEY: AZURITE_KEY,
    AZURE_ENDPOINT_SUFFIX: `localhost:${port}`,
    HTTPS_PROXY: proxy.url,
    SSL_CERT_FILE: certs.bundle,
  };
  const procs = [proc, proxy.proc, entra];
  const workloadIdentity: AzureWorkloadIdentity = {
    podEnv: { AZURE_CLIENT_ID: ENTRA_CLIENT_ID, AZURE_TENANT_ID: ENTRA_TENANT, AZURE_FEDERATED_TOKEN_FILE: tokenFile, AZURE_AUTHORITY_HOST: `https://${ENTRA_HOST}/` },
    tokenFile, logFile: entraLog,
  };
  return {
    provider: 'azure', pid: proc.pid, host: '127.0.0.1', port, endpoint: `https://${blobHost}:${port}`, bucket,
    credentials: { account, key: AZURITE_KEY }, env, workloadIdentity,
    walgEnv: (sub, o) => ({ ...env, [o?.old ? 'WALE_AZ_PREFIX' : 'WALG_AZ_PREFIX']: `azure://${bucket}/${sub}` }),
    caFile: certs.caCert, logFile, procs, dir, stop: stopAllOf(procs, ownDir ? dir : undefined),
  };
}

// --------------------------------------------------------------- Swift ----

export interface SwiftOptions extends CommonOptions {
  /** User that runs the Swift daemons (default: current user). */
  user?: string;
}

export async function startSwift(opts: SwiftOptions = {}): Promise<StorageServer> {
  const ownDir = opts.dir === undefined;
  const dir = opts.dir ?? makeTempDir('e2e-swift-');
  const bucket = opts.bucket ?? 'walg';
  const timeoutMs = opts.timeoutMs ?? 90_000;
  const runUser = opts.user ?? os.userInfo().username;
  const etc = ensureDir(path.join(dir, 'etc'));
  const devices = ensureDir(path.join(dir, 'srv'));
  ensureDir(path.join(devices, 'd1'));
  const cacheDir = ensureDir(path.join(dir, 'cache'));
  if (runUser !== os.userInfo().username) chownFor(runUser, dir);
  const [proxyPort, accountPort, containerPort, objectPort, memcachedPort] = await freePorts(5);
  const pythonDir = ensureDir(path.join(dir, 'python'));
  fs.copyFileSync(path.join(__dirname, 'swift_bodyless.py'), path.join(pythonDir, 'swift_bodyless.py'));
  const baseEnv: Env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, PYTHONDONTWRITEBYTECODE: '1', PYTHONPATH: pythonDir };
  const swiftUser = 'test:tester';
  const swiftKey = randomSecret(12);

  fs.writeFileSync(path.join(etc, 'swift.conf'),
    '[swift-hash]\nswift_hash_path_suffix = e2e\nswift_hash_path_prefix = e2e\n\n' +
    '[storage-policy:0]\nname = Policy-0\ndefault = yes\n');
  const common = (port: number): string => `[DEFAULT]\nbind_ip = 127.0.0.1\nbind_port = ${port}\nworkers = 0\n` +
    `user = ${runUser}\nswift_dir = ${etc}\ndevices = ${devices}\nmount_check = false\n` +
    `log_level = INFO\nrecon_cache_path = ${cacheDir}\n\n`;
  for (const [kind, port] of [['account', accountPort], ['container', containerPort], ['object', objectPort]] as const) {
    fs.writeFileSync(path.join(etc, `${kind}-server.conf`), common(port) +
      `[pipeline:main]\npipeline = ${kind}-server\n\n[app:${kind}-server]\nuse = egg:swift#${kind}\n\n` +
      `[${kind}-replicator]\n[${kind}-updater]\n[${kind}-auditor]\n`);
  }
  fs.writeFileSync(path.join(etc, 'proxy-server.conf'),
    `[DEFAULT]\nbind_ip = 127.0.0.1\nbind_port = ${proxyPort}\nworkers = 0\nuser = ${runUser}\nswift_dir = ${etc}\n` +
    'log_level = INFO\n\n' +
    '[pipeline:main]\npipeline = bodyless catch_errors healthcheck cache tempauth proxy-server\n\n' +
    // No chunked framing on a 204 (a HEAD of a container): see swift_bodyless.py.
    '[filter:bodyless]\npaste.filter_factory = swift_bodyless:filter_factory\n\n' +
    '[app:proxy-server]\nuse = egg:swift#proxy\naccount_autocreate = true\nallow_account_management = true\n\n' +
    '[filter:catch_errors]\nuse = egg:swift#catch_errors\n\n' +
    '[filter:healthcheck]\nuse = egg:swift#healthcheck\n\n' +
    `[filter:cache]\nuse = egg:swift#memcache\nmemcache_servers = 127.0.0.1:${memcachedPort}\n\n` +
    '[filter:tempauth]\nuse = egg:swift#tempauth\n' +
    `user_test_tester = ${swiftKey} .admin\n` +
    `storage_url_scheme = default\ntoken_life = 86400\n`);

  // Rings: one replica, one device per ring, on 127.0.0.1.
  for (const [kind, port] of [['account', accountPort], ['container', containerPort], ['object', objectPort]] as const) {
    const builder = path.join(etc, `${kind}.builder`);
    await run(SWIFT.ringBuilder, [builder, 'create', '4', '1', '1'], baseEnv, { check: true });
    await run(SWIFT.ringBuilder, [builder, 'add', `r1z1-127.0.0.1:${port}/d1`, '100'], baseEnv, { check: true });
    const r = await run(SWIFT.ringBuilder, [builder, 'rebalance'], baseEnv);
    if (r.code !== 0 && r.code !== 1) throw new Error(`swift-ring-builder rebalance ${kind}: ${r.stdout}${r.stderr}`);
  }
  if (runUser !== os.userInfo().username) chownFor(runUser, dir);

  const procs: Proc[] = [];
  const start = (name: string, cmd: string, args: string[]): Proc => {
    const p = startProcess(cmd, args, {
      name, logFile: path.join(dir, `${name}.log`), cwd: dir, env: baseEnv,
      user: runUser === os.userInfo().username ? undefined : runUser,
    });
    procs.push(p);
    return p;
  };
  try {
    const mc = start('memcached', SWIFT.memcached, ['-l', '127.0.0.1', '-p', String(memcachedPort), '-U', '0',
      '-m', '64', '-u', runUser]);
    const proxy = start('swift-proxy', SWIFT.proxy, [path.join(etc, 'proxy-server.conf'), '-v']);
    const servers = [
      start('swift-account', SWIFT.account, [path.join(etc, 'account-server.conf'), '-v']),
      start('swift-container', SWIFT.container, [path.join(etc, 'container-server.conf'), '-v']),
      start('swift-object', SWIFT.object, [path.join(etc, 'object-server.conf'), '-v']),
    ];
    const authUrl = `http://127.0.0.1:${proxyPort}/auth/v1.0`;
    await waitFor(async () => (await request(`http://127.0.0.1:${proxyPort}/healthcheck`)).status === 200,
      timeoutMs, { what: 'swift proxy /healthcheck', proc: proxy });
    for (const s of [...servers, mc]) {
      if (!s.isRunning()) throw new Error(`${s.name} exited:\n${s.logTail()}`);
    }
    // Auth (tempauth v1) and container creation; retried until the backends answer.
    const { token, storageUrl } = await waitFor(async () => {
      const a = await request(authUrl, { headers: { 'x-storage-user': swiftUser, 'x-storage-pass': swiftKey } });
      const t = a.headers['x-auth-token'];
      const s = a.headers['x-storage-url'];
      if (a.status !== 200 || typeof t !== 'string' || typeof s !== 'string') throw new Error(`auth ${a.status} ${a.body}`);
      const c = await request(`${s}/${bucket}`, { method: 'PUT', headers: { 'x-auth-token': t } });
      if (c.status !== 201 && c.status !== 202) throw new Error(`create container ${c.status} ${c.body}`);
      return { token: t, storageUrl: s };
    }, timeoutMs, { what: 'swift auth + container', proc: proxy });
    void token;
    const env: Env = { ST_AUTH: authUrl, ST_USER: swiftUser, ST_KEY: swiftKey };
    return {
      provider: 'swift', pid: proxy.pid, host: '127.0.0.1', port: proxyPort, endpoint: authUrl, bucket,
      credentials: { user: swiftUser, key: swiftKey, storageUrl }, env,
      walgEnv: (sub, o) => ({ ...env, [o?.old ? 'WALE_SWIFT_PREFIX' : 'WALG_SWIFT_PREFIX']: `swift://${bucket}/${sub}` }),
      logFile: proxy.logFile, procs, dir, stop: stopAllOf(procs, ownDir ? dir : undefined),
    };
  } catch (e) {
    await stopAllOf(procs, ownDir ? dir : undefined)();
    throw e;
  }
}

// --------------------------------------------------------------- Local ----

/** "Local" storage: a directory writable by the PostgreSQL user. Nothing runs. */
export async function startLocal(opts: CommonOptions & { user?: string } = {}): Promise<StorageServer> {
  const ownDir = opts.dir === undefined;
  const dir = opts.dir ?? makeTempDir('e2e-local-');
  const bucket = opts.bucket ?? 'walg';
  const root = ensureDir(path.join(dir, bucket), 0o700);
  const user = opts.user ?? PG_USER;
  if (user !== os.userInfo().username) {
    userInfo(user); // throws a clear error if missing
    chownFor(user, root);
  }
  return {
    provider: 'local', host: 'localhost', endpoint: root, bucket, credentials: {}, env: {},
    // WAL-G 3.0.x refuses a WALG_FILE_PREFIX dir that does not exist ("FS storage root
    // directory doesn't exist or is inaccessible"), so walgEnv() creates it.
    walgEnv: (sub, o) => {
      const p = path.join(root, sub);
      if (!fs.existsSync(p)) {
        fs.mkdirSync(p, { recursive: true, mode: 0o700 });
        if (user !== os.userInfo().username) chownFor(user, root);
      }
      return { [o?.old ? 'WALE_FILE_PREFIX' : 'WALG_FILE_PREFIX']: p };
    },
    logFile: '', procs: [], dir, stop: stopAllOf([], ownDir ? dir : undefined),
  };
}

// ----------------------------------------------------- copying a prefix ----

/** An object of a storage prefix: its key below the prefix, its modification time and its size in bytes. */
export interface StoredObject { key: string; modified: Date; size: number }

/** The objects under `<bucket>/<prefix>/` of a MinIO server (ListObjectsV2, every page). */
async function listMinio(server: StorageServer, prefix: string): Promise<StoredObject[]> {
  const out: StoredObject[] = [];
  let token: string | undefined;
  do {
    const q = new URLSearchParams({ 'list-type': '2', 'prefix': `${prefix}/`, ...(token ? { 'continuation-token': token } : {}) });
    const url = `${server.endpoint}/${server.bucket}?${q}`;
    const res = await request(url, { ca: server.caFile, timeoutMs: 30_000,
      headers: sigV4Headers({ method: 'GET', url, accessKey: server.credentials.accessKey, secretKey: server.credentials.secretKey }) });
    if (res.status !== 200) throw new Error(`minio: list ${prefix}: ${res.status} ${res.body}`);
    for (const m of res.body.matchAll(/<Contents>(.*?)<\/Contents>/gs)) {
      const field = (name: string) => new RegExp(`<${name}>(.*?)</${name}>`, 's').exec(m[1])?.[1] ?? '';
      out.push({ key: field('Key').slice(prefix.length + 1), modified: new Date(field('LastModified')), size: Number(field('Size')) });
    }
    token = /<IsTruncated>true<\/IsTruncated>/.test(res.body) ? /<NextContinuationToken>(.*?)<\/NextContinuationToken>/.exec(res.body)?.[1] : undefined;
  } while (token);
  return out;
}

/** The files under a Local storage's prefix and their modification times. */
function listLocal(dir: string): StoredObject[] {
  const out: StoredObject[] = [];
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else {
        const st = fs.statSync(p);
        out.push({ key: path.relative(dir, p), modified: st.mtime, size: st.size });
      }
    }
  };
  walk(dir);
  return out;
}

/** An object name in a URL path (Swift, Azure): each segment encoded, the slashes kept. */
const objectPath = (name: string): string => name.split('/').map(encodeURIComponent).join('/');

/** The objects under `<bucket>/<prefix>/` of fake-gcs-server (its JSON API: objects.list, every page; `updated`). */
async function listGcs(server: StorageServer, prefix: string): Promise<StoredObject[]> {
  const out: StoredObject[] = [];
  let token: string | undefined;
  do {
    const q = new URLSearchParams({ prefix: `${prefix}/`, ...(token ? { pageToken: token } : {}) });
    const res = await request(`${server.endpoint}/storage/v1/b/${server.bucket}/o?${q}`, { timeoutMs: 30_000 });
    if (res.status !== 200) throw new Error(`gcs: list ${prefix}: ${res.status} ${res.body}`);
    const page = JSON.parse(res.body) as { items?: Array<{ name: string; size: string; updated: string }>; nextPageToken?: string };
    for (const o of page.items ?? []) out.push({ key: o.name.slice(prefix.length + 1), modified: new Date(o.updated), size: Number(o.size) });
    token = page.nextPageToken || undefined;
  } while (token);
  return out;
}

/** fake-gcs-server's URL of an object (objects.get; `?alt=media` for its bytes). */
const gcsObject = (server: StorageServer, name: string): string => `${server.endpoint}/storage/v1/b/${server.bucket}/o/${encodeURIComponent(name)}`;

/** A token and the storage URL of the Swift server's account (tempauth v1). */
async function swiftAuth(server: StorageServer): Promise<{ token: string; url: string }> {
  const a = await request(server.endpoint, { headers: { 'x-storage-user': server.credentials.user, 'x-storage-pass': server.credentials.key } });
  const token = a.headers['x-auth-token'];
  const url = a.headers['x-storage-url'];
  if (a.status !== 200 || typeof token !== 'string' || typeof url !== 'string') throw new Error(`swift: auth: ${a.status} ${a.body}`);
  return { token, url };
}

/** The objects under `<container>/<prefix>/` of the Swift server (container GET, format=json, every page by marker; last_modified is UTC). */
async function listSwift(server: StorageServer, prefix: string): Promise<StoredObject[]> {
  const { token, url } = await swiftAuth(server);
  const out: StoredObject[] = [];
  let marker = '';
  for (;;) {
    const q = new URLSearchParams({ prefix: `${prefix}/`, format: 'json', ...(marker ? { marker } : {}) });
    const res = await request(`${url}/${server.bucket}?${q}`, { headers: { 'x-auth-token': token }, timeoutMs: 30_000 });
    if (res.status === 204) break;
    if (res.status !== 200) throw new Error(`swift: list ${prefix}: ${res.status} ${res.body}`);
    const page = JSON.parse(res.body) as Array<{ name: string; bytes: number; last_modified: string }>;
    if (page.length === 0) break;
    for (const o of page) {
      out.push({ key: o.name.slice(prefix.length + 1), modified: new Date(/[Zz]|[+-]\d\d:?\d\d$/.test(o.last_modified) ? o.last_modified : `${o.last_modified}Z`), size: o.bytes });
    }
    marker = page[page.length - 1].name;
  }
  return out;
}

/** A SharedKey-signed request to Azurite, path-style (https://127.0.0.1:<port>/<account>/<container>/…). */
async function azureRequest(server: StorageServer, method: string, pathAndQuery: string, headers: Record<string, string> = {}): Promise<HttpResult> {
  const account = server.credentials.account;
  const url = `https://127.0.0.1:${server.port}/${account}/${server.bucket}${pathAndQuery}`;
  // Path-style: the canonical resource holds the account twice (/<account>/<account>/<container>/…).
  return request(url, { method, ca: server.caFile, timeoutMs: 60_000,
    headers: azureSharedKeyHeaders({ method, url, account, key: server.credentials.key, headers }) });
}

/** The blobs under `<container>/<prefix>/` of Azurite (List Blobs, every page by marker; Last-Modified has whole seconds). */
async function listAzure(server: StorageServer, prefix: string): Promise<StoredObject[]> {
  const out: StoredObject[] = [];
  let marker = '';
  do {
    const q = new URLSearchParams({ restype: 'container', comp: 'list', prefix: `${prefix}/`, ...(marker ? { marker } : {}) });
    const res = await azureRequest(server, 'GET', `?${q}`);
    if (res.status !== 200) throw new Error(`azure: list ${prefix}: ${res.status} ${res.body}`);
    for (const m of res.body.matchAll(/<Blob>(.*?)<\/Blob>/gs)) {
      const field = (name: string) => new RegExp(`<${name}>(.*?)</${name}>`, 's').exec(m[1])?.[1] ?? '';
      out.push({ key: field('Name').slice(prefix.length + 1), modified: new Date(field('Last-Modified')), size: Number(field('Content-Length')) });
    }
    marker = /<NextMarker>(.*?)<\/NextMarker>/s.exec(res.body)?.[1] ?? '';
  } while (marker);
  return out;
}

/** The objects under `<bucket>/<prefix>/` of a store (Local, MinIO, GCS, Swift, Azure), with their sizes and modification times. */
export async function listObjects(server: StorageServer, prefix: string): Promise<StoredObject[]> {
  switch (server.provider) {
    case 'local': return listLocal(path.join(server.endpoint, prefix));
    case 'minio': return listMinio(server, prefix);
    case 'gcs': return listGcs(server, prefix);
    case 'swift': return listSwift(server, prefix);
    case 'azure': return listAzure(server, prefix);
  }
}

/**
 * The providers whose stores listObjects and readObjects can list and read (the harness's names: s3 is
 * MinIO). Azure (Azurite) is listed, read and copied from Node; no WAL-G line run here (< 2) reaches it, so
 * its cells are BLOCKED and its part is proven by a probe of these functions only.
 */
export const LISTABLE: readonly string[] = ['local', 's3', 'minio', 'gcs', 'swift', 'azure'];
/** The providers whose prefixes copyPrefix can copy, giving every copy a new modification time. */
export const COPYABLE: readonly string[] = ['local', 's3', 'minio', 'gcs', 'swift', 'azure'];

/**
 * Copies every object of `<bucket>/<from>/` to `<bucket>/<to>/` as a replication or a copy tool does: the
 * copies get new modification times (Local: `cp -R` as the storage's user, without -p; MinIO: server-side
 * CopyObject; GCS: objects.rewrite, which makes a new object; Swift: PUT with X-Copy-From, likewise; Azure:
 * Copy Blob, which Azurite completes at once). Returns the copy's objects.
 */
export async function copyPrefix(server: StorageServer, from: string, to: string): Promise<StoredObject[]> {
  switch (server.provider) {
    case 'local': {
      const dst = path.join(server.endpoint, to);
      const r = await runAs(PG_USER, 'cp', ['-R', path.join(server.endpoint, from), dst], { PATH: '/usr/bin:/bin' });
      if (r.code !== 0) throw new Error(`cp -R ${from} ${to}: exit ${r.code}: ${r.stderr}`);
      return listLocal(dst);
    }
    case 'minio':
      for (const o of await listMinio(server, from)) {
        const url = `${server.endpoint}/${server.bucket}/${to}/${o.key}`;
        const headers = sigV4Headers({ method: 'PUT', url, accessKey: server.credentials.accessKey, secretKey: server.credentials.secretKey,
          headers: { 'x-amz-copy-source': `/${server.bucket}/${from}/${o.key}` } });
        const res = await request(url, { method: 'PUT', ca: server.caFile, headers, timeoutMs: 60_000 });
        if (res.status !== 200 || /<Error>/.test(res.body)) throw new Error(`minio: copy ${from}/${o.key}: ${res.status} ${res.body}`);
      }
      return listMinio(server, to);
    case 'gcs':
      for (const o of await listGcs(server, from)) {
        const url = `${gcsObject(server, `${from}/${o.key}`)}/rewriteTo/b/${server.bucket}/o/${encodeURIComponent(`${to}/${o.key}`)}`;
        const res = await request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}', timeoutMs: 60_000 });
        if (res.status !== 200) throw new Error(`gcs: rewrite ${from}/${o.key}: ${res.status} ${res.body}`);
      }
      return listGcs(server, to);
    case 'swift': {
      const { token, url } = await swiftAuth(server);
      for (const o of await listSwift(server, from)) {
        const res = await request(`${url}/${server.bucket}/${objectPath(`${to}/${o.key}`)}`, { method: 'PUT', timeoutMs: 60_000,
          headers: { 'x-auth-token': token, 'x-copy-from': `/${server.bucket}/${objectPath(`${from}/${o.key}`)}`, 'content-length': '0' } });
        if (res.status !== 201) throw new Error(`swift: copy ${from}/${o.key}: ${res.status} ${res.body}`);
      }
      return listSwift(server, to);
    }
    case 'azure':
      for (const o of await listAzure(server, from)) {
        const source = `https://127.0.0.1:${server.port}/${server.credentials.account}/${server.bucket}/${objectPath(`${from}/${o.key}`)}`;
        const res = await azureRequest(server, 'PUT', `/${objectPath(`${to}/${o.key}`)}`, { 'x-ms-copy-source': source });
        if (res.status !== 202 || res.headers['x-ms-copy-status'] !== 'success') throw new Error(`azure: copy ${from}/${o.key}: ${res.status} ${res.headers['x-ms-copy-status']} ${res.body}`);
      }
      return listAzure(server, to);
  }
}

/**
 * Deletes one object, `<bucket>/<prefix>/<key>`, as an owner of the storage would (a lost or deleted WAL segment:
 * Local, `rm` as the storage's user; MinIO, DeleteObject; GCS, objects.delete; Swift and Azure, DELETE). Fails
 * when the store did not delete it.
 */
export async function deleteObject(server: StorageServer, prefix: string, key: string): Promise<void> {
  const what = `${server.provider}: delete ${prefix}/${key}`;
  switch (server.provider) {
    case 'local': {
      const r = await runAs(PG_USER, 'rm', [path.join(server.endpoint, prefix, key)], { PATH: '/usr/bin:/bin' });
      if (r.code !== 0) throw new Error(`${what}: exit ${r.code}: ${r.stderr}`);
      return;
    }
    case 'minio': {
      const url = `${server.endpoint}/${server.bucket}/${prefix}/${key}`;
      const headers = sigV4Headers({ method: 'DELETE', url, accessKey: server.credentials.accessKey, secretKey: server.credentials.secretKey });
      const res = await request(url, { method: 'DELETE', ca: server.caFile, headers, timeoutMs: 60_000 });
      if (res.status !== 204) throw new Error(`${what}: ${res.status} ${res.body}`);
      return;
    }
    case 'gcs': {
      const res = await request(gcsObject(server, `${prefix}/${key}`), { method: 'DELETE', timeoutMs: 60_000 });
      if (res.status !== 204 && res.status !== 200) throw new Error(`${what}: ${res.status} ${res.body}`);
      return;
    }
    case 'swift': {
      const { token, url } = await swiftAuth(server);
      const res = await request(`${url}/${server.bucket}/${objectPath(`${prefix}/${key}`)}`, { method: 'DELETE', headers: { 'x-auth-token': token }, timeoutMs: 60_000 });
      if (res.status !== 204) throw new Error(`${what}: ${res.status} ${res.body}`);
      return;
    }
    case 'azure': {
      const res = await azureRequest(server, 'DELETE', `/${objectPath(`${prefix}/${key}`)}`, {});
      if (res.status !== 202) throw new Error(`${what}: ${res.status} ${res.body}`);
      return;
    }
  }
}

/** The bytes of a GET, or an error naming the object. */
async function getBytes(what: string, url: string, opts: { headers?: Record<string, string>; ca?: string } = {}): Promise<Buffer> {
  const res = await request(url, { ...opts, timeoutMs: 60_000 });
  if (res.status !== 200) throw new Error(`${what}: ${res.status} ${res.body.slice(0, 300)}`);
  return res.bytes;
}

/**
 * Every object under `<bucket>/<prefix>/` of a store (Local, MinIO, GCS, Swift, Azure), with its bytes as the store
 * holds them, read as latin1 so that every byte is one character: what an owner of the storage can read
 * without the database's keys.
 */
export async function readObjects(server: StorageServer, prefix: string): Promise<Array<{ key: string; body: string }>> {
  const out: Array<{ key: string; body: string }> = [];
  switch (server.provider) {
    case 'local': {
      const dir = path.join(server.endpoint, prefix);
      return listLocal(dir).map((o) => ({ key: o.key, body: fs.readFileSync(path.join(dir, o.key)).toString('latin1') }));
    }
    case 'minio':
      for (const o of await listMinio(server, prefix)) {
        const url = `${server.endpoint}/${server.bucket}/${prefix}/${o.key}`;
        const headers = sigV4Headers({ method: 'GET', url, accessKey: server.credentials.accessKey, secretKey: server.credentials.secretKey });
        out.push({ key: o.key, body: (await getBytes(`minio: get ${o.key}`, url, { headers, ca: server.caFile })).toString('latin1') });
      }
      return out;
    case 'gcs':
      for (const o of await listGcs(server, prefix)) {
        out.push({ key: o.key, body: (await getBytes(`gcs: get ${o.key}`, `${gcsObject(server, `${prefix}/${o.key}`)}?alt=media`)).toString('latin1') });
      }
      return out;
    case 'swift': {
      const { token, url } = await swiftAuth(server);
      for (const o of await listSwift(server, prefix)) {
        const bytes = await getBytes(`swift: get ${o.key}`, `${url}/${server.bucket}/${objectPath(`${prefix}/${o.key}`)}`, { headers: { 'x-auth-token': token } });
        out.push({ key: o.key, body: bytes.toString('latin1') });
      }
      return out;
    }
    case 'azure':
      for (const o of await listAzure(server, prefix)) {
        const res = await azureRequest(server, 'GET', `/${objectPath(`${prefix}/${o.key}`)}`);
        if (res.status !== 200) throw new Error(`azure: get ${o.key}: ${res.status} ${res.body.slice(0, 300)}`);
        out.push({ key: o.key, body: res.bytes.toString('latin1') });
      }
      return out;
  }
}

export async function startServer(provider: Provider, opts: CommonOptions & { tls?: boolean } = {}): Promise<StorageServer> {
  switch (provider) {
    case 'minio': return startMinio(opts);
    case 'gcs': return startFakeGcs(opts);
    case 'azure': return startAzurite(opts);
    case 'swift': return startSwift(opts);
    case 'local': return startLocal(opts);
  }
}
