// The restore bench's arithmetic (bench/restore-report.ts) and its delaying proxy (bench/delay-proxy.ts).
// No timing assertions on the machine: the proxy is only held to its lower bound (it never delays less).
import { execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { startDelayProxy } from '../bench/delay-proxy';
import { roundOrder, segmentNames, treeCpuSeconds } from '../bench/restore';
import { costLines, lagLines, lsnBytes, median, replayOf, Row, table, verdicts } from '../bench/restore-report';

describe('replayOf', () => {
  test('PostgreSQL 11: from "redo starts at" to "redo done at", by the log\'s time stamps', () => {
    const log = [
      '2026-11-30T22:27:31Z pg-walg: replaying WAL from s3://walg/x',
      '2026-11-30 22:27:35.836 UTC [15601] LOG:  restored log file "000000010000000000000002" from archive',
      '2026-11-30 22:27:35.951 UTC [15601] LOG:  redo starts at 0/2000028',
      'INFO: 2026/11/30 22:27:36.529631 WAL-prefetch file:  000000010000000000000008',
      '2026-11-30 22:27:39.487 UTC [15601] LOG:  redo done at 0/7CF0AC0',
      '2026-11-30 22:27:41.000 UTC [15601] LOG:  redo starts at 0/9000028',
    ].join('\n');
    expect(replayOf(log)).toEqual({ seconds: 3.536, bytes: 0x7cf0ac0 - 0x2000028, from: '0/2000028', to: '0/7CF0AC0' });
  });
  test('PostgreSQL 15 and later add the system usage to "redo done"', () => {
    const log = '2026-11-30 23:59:59.900 GMT [7] LOG:  redo starts at 1/FF000028\n' +
      '2026-12-01 00:00:01.400 GMT [7] LOG:  redo done at 2/1000000 system usage: CPU: user: 1.20 s, system: 0.10 s, elapsed: 1.50 s\n';
    expect(replayOf(log)).toEqual({ seconds: 1.5, bytes: 2 ** 33 + 0x1000000 - (2 ** 32 + 0xff000028), from: '1/FF000028', to: '2/1000000' });
  });
  test('no whole replay: undefined', () => {
    expect(replayOf('2026-11-30 22:27:35.951 UTC [1] LOG:  redo starts at 0/2000028\n')).toBeUndefined();
    expect(replayOf('2026-11-30 22:27:35.951 UTC [1] LOG:  redo done at 0/2000028\n')).toBeUndefined();
    expect(replayOf('LOG:  redo starts at 0/2000028\nLOG:  redo done at 0/3000000\n')).toBeUndefined();
  });
});

test('lsnBytes', () => {
  expect(lsnBytes('0/0')).toBe(0);
  expect(lsnBytes('16/B374D848')).toBe(0x16 * 2 ** 32 + 0xb374d848);
  expect(() => lsnBytes('16-B3')).toThrow('not an LSN: 16-B3');
});

test('median', () => {
  expect(median([3, 1, 2])).toBe(2);
  expect(median([4, 1, 3, 2])).toBe(2.5);
  expect(median([])).toBeNaN();
});

test('segmentNames crosses a log file boundary (256 segments of 16 MiB)', () => {
  expect(segmentNames('0000000100000000000000FE', '000000010000000100000001')).toEqual([
    '0000000100000000000000FE', '0000000100000000000000FF', '000000010000000100000000', '000000010000000100000001',
  ]);
  expect(segmentNames('000000020000000A00000003', '000000020000000A00000003')).toEqual(['000000020000000A00000003']);
});

describe('the report', () => {
  const MiB = 1024 * 1024;
  const row = (id: string, network: string, seconds: number[]): Row => ({ id, label: id, network, seconds, bytes: 1024 * MiB });
  const rows: Row[] = [
    row('floor', 'loopback', [10, 11, 12]),
    row('floor-archive', 'loopback', [10, 10.5, 12]),
    row('cp', 'loopback', [10, 10, 11]),
    row('defaults', 'loopback', [10.5, 11, 11.5]),
    // Ratios of medians and medians of the rounds' ratios differ here: the report must show the latter.
    row('serial', 'loopback', [13, 16, 12]),
    row('c8', 'loopback', [10, 10.5, 20]),
    row('defaults', '+50 ms', [12, 13, 14]),
    row('no-fast-path', '+50 ms', [20, 20, 20]),
    row('serial', '+50 ms', [30, 30, 30]),
    row('c32', '+50 ms', [11, 11, 11]),
  ];
  test('a table with MiB/s and the ratios to the floor and to the defaults', () => {
    const t = table(rows.filter((r) => r.network === 'loopback'), rows[0]);
    expect(t[0]).toBe('| restore | median s | MiB/s | × floor | × defaults | store CPU s | runs (s) |');
    expect(t).toContain('| defaults | 11.00 | 93.1 | 1.00 | 1.00 | – | 10.5, 11.0, 11.5 |');
    expect(t).toContain('| serial | 13.00 | 78.8 | 1.30 | 1.24 | – | 13.0, 16.0, 12.0 |');
  });
  test('verdicts on the issue\'s targets, each with its figures', () => {
    const v = verdicts(rows, ['loopback', '+50 ms']);
    expect(v.best).toEqual({ 'loopback': { id: 'c8', seconds: 10.5 }, '+50 ms': { id: 'c32', seconds: 11 } });
    expect(v.lines).toEqual([
      '- loopback: the fastest download concurrency is c8 (10.50 s); the defaults take 4.8 % longer (target ≤ 10 %: met).',
      '- loopback: the serial setup takes 1.24× as long as the defaults.',
      '- loopback: the defaults take 1.00× the floor (target ≤ 1.1×: met).',
      '- loopback: the defaults take 1.05× the floor in archive recovery (the WAL in pg_wal, restore_command = false: the mode every ' +
        'restore runs in, with the checkpointer\'s restartpoints), which takes 1.00× the floor.',
      '- loopback: the defaults take 1.05× a restore_command that only copies each segment from local disk (`cp`: what any restore_command pays ' +
        'to write the segment into pg_wal, which the floor does not), and `cp` 0.92× the floor.',
      '- +50 ms: the fastest download concurrency is c32 (11.00 s); the defaults take 18.2 % longer (target ≤ 10 %: **not met**).',
      '- +50 ms: the serial setup takes 2.31× as long as the defaults (target ≥ 2×: met).',
      '- +50 ms: without serving prefetched segments directly (the wrapper before this change), restores take 1.54× as long.',
    ]);
  });
  test('without a sweep, no verdict on the fastest download concurrency', () => {
    const v = verdicts(rows.filter((r) => !/^c\d+$/.test(r.id)), ['loopback', '+50 ms']);
    expect(v.lines.filter((l) => l.includes('fastest'))).toEqual([]);
    expect(v.lines).toContain('- +50 ms: the serial setup takes 2.31× as long as the defaults (target ≥ 2×: met).');
  });
  test('archive lag against one segment and archive_timeout', () => {
    const lag = {
      seconds: 60,
      archiveTimeout: 60,
      walMbPerSecond: 12.3,
      segmentsWritten: 46,
      maxWaiting: 2,
      maxSecondsBehind: 1.5,
      drainSeconds: 0.5,
      failed: 0,
    };
    expect(lagLines(lag)).toContain('Target: at most one segment waiting and no more than archive_timeout behind: **not met**.');
    expect(lagLines({ ...lag, maxWaiting: 1 })).toContain('Target: at most one segment waiting and no more than archive_timeout behind: met.');
  });
  test('storage cost: bytes against the WAL written, replay against lz4\'s run by run, refusals with their reason', () => {
    const lines = costLines([
      { method: 'lz4', walBytes: 256 * MiB, stored: 128 * MiB, storedWal: 100 * MiB, archiveSeconds: 16.2, replay: [10, 20, 12], ready: [15, 25, 17] },
      { method: 'lzma', walBytes: 260 * MiB, stored: 65 * MiB, storedWal: 50 * MiB, archiveSeconds: 66.5, replay: [15, 30, 13], ready: [30, 31, 32] },
      { method: 'zstd', refused: 'WAL-G 1.1.3 cannot write zstd | it reads it', walBytes: 0, stored: 0, storedWal: 0, replay: [], ready: [] },
    ]);
    expect(lines).toEqual([
      '| compression | WAL written | stored (base backup + WAL) | of the WAL written | WAL stored | archived after s | replay s | × lz4 | ready after s | runs: replay (s) |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
      '| lz4 | 256 MiB | 128.0 MiB | 50.0 % | 100.0 MiB | 16 | 12.00 | 1.00 | 17.0 | 10.0, 20.0, 12.0 |',
      // Ratios 1.5, 1.5, 1.08: median 1.5, where the medians' ratio would be 15 / 12 = 1.25.
      '| lzma | 260 MiB | 65.0 MiB | 25.0 % | 50.0 MiB | 67 | 15.00 | 1.50 | 31.0 | 15.0, 30.0, 13.0 |',
      '| zstd | refused: WAL-G 1.1.3 cannot write zstd \\| it reads it | | | | | | | | |',
    ]);
  });
});

describe('the delaying proxy', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-proxy-'));
  let echo: net.Server;
  let echoPort = 0;
  beforeAll(async () => {
    // An echo server: every byte comes back.
    echo = net.createServer((s) => s.pipe(s));
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
    echoPort = (echo.address() as net.AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise((resolve) => echo.close(resolve));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Sends data through the proxy to the echo server; resolves with what came back and when the first byte did. */
  function roundTrip(port: number, data: Buffer): Promise<{ back: Buffer; firstMs: number }> {
    return new Promise((resolve, reject) => {
      const t0 = Date.now();
      let firstMs = -1;
      const chunks: Buffer[] = [];
      let got = 0;
      const s = net.connect(port, '127.0.0.1', () => s.write(data));
      s.on('data', (c: Buffer) => {
        if (firstMs < 0) firstMs = Date.now() - t0;
        chunks.push(c);
        got += c.length;
        if (got >= data.length) s.end();
      });
      s.on('end', () => resolve({ back: Buffer.concat(chunks), firstMs }));
      s.on('error', reject);
    });
  }

  test('passes every byte, in order, and a new connection costs at least two round trips', async () => {
    const proxy = await startDelayProxy(dir, `127.0.0.1:${echoPort}`, 100);
    try {
      const data = Buffer.alloc(4 * 1024 * 1024);
      for (let i = 0; i < data.length; i += 4) data.writeUInt32LE(i, i);
      const r = await roundTrip(proxy.port, data);
      expect(r.back.equals(data)).toBe(true);
      // The handshake's round trip, then half a round trip each way.
      expect(r.firstMs).toBeGreaterThanOrEqual(195);
    } finally {
      await proxy.stop();
    }
    expect(proxy.proc.isRunning()).toBe(false);
  });
});

test('treeCpuSeconds counts a process\'s descendants', () => {
  // A shell whose child shell burns CPU for a while: the first shell itself uses almost none.
  const child = spawn('sh', ['-c', 'sh -c \'i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done; sleep 5\'; true'], { stdio: 'ignore' });
  const pid = child.pid;
  if (pid === undefined) throw new Error('sh did not start');
  const own = () => {
    const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  };
  try {
    const deadline = Date.now() + 20_000;
    let cpu = 0;
    while (Date.now() < deadline && cpu < 0.2) {
      execFileSync('sleep', ['0.2']);
      cpu = treeCpuSeconds([pid]);
    }
    expect(cpu).toBeGreaterThanOrEqual(0.2);
    expect(own()).toBeLessThan(0.1);
    expect(treeCpuSeconds([2 ** 22 + 1])).toBe(0); // no such process
  } finally {
    child.kill('SIGKILL');
  }
});

test.each([5, 15])('roundOrder: of %i ways of restoring, each has another predecessor in each of three rounds', (n) => {
  const ways = Array.from({ length: n }, (_, k) => `w${String(k).padStart(2, '0')}`);
  const rounds = [0, 1, 2].map((i) => roundOrder(ways, i));
  expect(rounds[0]).toEqual(ways);
  for (const r of rounds) expect([...r].sort()).toEqual(ways);
  for (const w of ways) {
    const before = rounds.map((r) => r[r.indexOf(w) - 1] ?? '(first)');
    expect(new Set(before).size).toBe(3);
  }
});
