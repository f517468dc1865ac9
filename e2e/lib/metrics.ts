/** Scraping a Prometheus exporter as Prometheus does: GET /metrics, the text exposition format. */
import * as http from 'http';

/** The samples of one scrape, by metric name (a metric with several label sets keeps its first sample). */
export type Samples = Map<string, number>;

/** Parses the text exposition format: `name{labels} value [timestamp]` lines; comments and blank lines skipped. */
export function parseSamples(text: string): Samples {
  const out: Samples = new Map();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{[^}]*\})?\s+(\S+)/.exec(line);
    if (m && !out.has(m[1])) out.set(m[1], Number(m[2]));
  }
  return out;
}

/**
 * GET http://<host>:<port>/metrics, bounded by timeoutMs; rejects on a status other than 200. The host is 127.0.0.1
 * unless given (e2e:cluster scrapes a pod's IP).
 */
export function scrape(port: number, timeoutMs = 10_000, host = '127.0.0.1'): Promise<Samples> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host, port, path: '/metrics', timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { body += d; });
      res.on('end', () => (res.statusCode === 200 ? resolve(parseSamples(body)) : reject(new Error(`GET /metrics: HTTP ${res.statusCode}: ${body.slice(0, 300)}`))));
    });
    req.on('timeout', () => req.destroy(new Error(`GET /metrics: no answer in ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

/** The named samples of a scrape, for messages. */
export function show(s: Samples, names: readonly string[]): string {
  return names.map((n) => `${n}=${s.has(n) ? s.get(n) : '(absent)'}`).join(' ');
}
