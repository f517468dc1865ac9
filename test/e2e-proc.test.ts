// The e2e harness's sweep of leftovers (e2e/lib/proc.ts): it kills the processes that carry its own owner mark,
// never another harness's that runs beside it as the same user (CI runs bench:smoke beside e2e:ci).
import { spawn } from 'child_process';
import * as os from 'os';
import { killOwnedLeftovers, marked, OWNER_VAR } from '../e2e/lib/proc';

const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };
const sleeper = (owner: string) => {
  const c = spawn('sleep', ['60'], { env: { PATH: '/usr/bin:/bin', [OWNER_VAR]: owner }, stdio: 'ignore' });
  return c;
};

test('killOwnedLeftovers kills the marked processes of this owner only, and spares itself', async () => {
  const me = os.userInfo().username;
  const mine = `/tmp/owner-${process.pid}-a`;
  const other = `/tmp/owner-${process.pid}-b`;
  const a = sleeper(mine);
  const b = sleeper(other);
  const exitedA = new Promise((r) => a.on('exit', r));
  const saved = process.env[OWNER_VAR];
  try {
    process.env[OWNER_VAR] = mine;
    await new Promise((r) => setTimeout(r, 200));
    expect(killOwnedLeftovers(me)).toBe(1);
    await exitedA;
    expect(alive(b.pid!)).toBe(true);
    expect(alive(process.pid)).toBe(true);
  } finally {
    if (saved === undefined) delete process.env[OWNER_VAR]; else process.env[OWNER_VAR] = saved;
    b.kill('SIGKILL');
    a.kill('SIGKILL');
  }
});

test('killOwnedLeftovers does nothing without an owner mark', () => {
  const saved = process.env[OWNER_VAR];
  delete process.env[OWNER_VAR];
  try {
    expect(killOwnedLeftovers(os.userInfo().username)).toBe(0);
  } finally {
    if (saved !== undefined) process.env[OWNER_VAR] = saved;
  }
});

test('marked adds the owner mark to an env when the harness has one', () => {
  const saved = process.env[OWNER_VAR];
  try {
    process.env[OWNER_VAR] = '/tmp/x';
    expect(marked({ A: '1' })).toEqual({ A: '1', [OWNER_VAR]: '/tmp/x' });
    delete process.env[OWNER_VAR];
    expect(marked({ A: '1' })).toEqual({ A: '1' });
  } finally {
    if (saved !== undefined) process.env[OWNER_VAR] = saved; else delete process.env[OWNER_VAR];
  }
});
