// A database image without wal-g (the modern versions) gets it from the walg-install init container in
// PG_WALG_WALG_DIR: the scripts put that directory first on the PATH (for themselves and for the server
// they start, whose archive_command runs "wal-g"), and refuse to go on with a binary that cannot run on
// the image, saying why. Real lib.sh, bootstrap.sh and backup.sh under dash and busybox sh.
import * as fs from 'fs';
import * as path from 'path';
import { SHELLS, stub } from './stub';

describe.each(SHELLS.map((s) => [s.join(' '), s] as const))('the copied wal-g under %s', (_name, shell) => {
  const s = stub('echo "image wal-g $*"');
  const walgDir = path.join(s.work, 'walg-bin');
  fs.mkdirSync(walgDir, { recursive: true });
  const copied = path.join(walgDir, 'wal-g');

  test('PG_WALG_WALG_DIR comes first on the PATH, exported to the commands the scripts start', () => {
    fs.writeFileSync(copied, '#!/bin/sh\necho "copied wal-g $*"\n', { mode: 0o755 });
    const r = s.lib(shell, 'wal-g --version; sh -c \'wal-g wal-push x\'; check_walg && echo checked', [], { PG_WALG_WALG_DIR: walgDir });
    expect([r.status, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toBe('copied wal-g --version\ncopied wal-g wal-push x\nchecked\n');
  });

  test('without PG_WALG_WALG_DIR the image\'s own wal-g runs and check_walg checks nothing', () => {
    const r = s.lib(shell, 'wal-g --version; check_walg && echo checked');
    expect([r.status, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toBe('image wal-g --version\nchecked\n');
  });

  test.each([
    ['a binary for another C library (the loader is missing)', '#!/lib/ld-musl-x86_64.so.1\n', 'not found'],
    ['a binary that needs a newer glibc', "#!/bin/sh\ncat >&2 <<'E'\nwal-g: /lib/x86_64-linux-gnu/libc.so.6: version `GLIBC_2.41' not found (required by wal-g)\nE\nexit 1\n", "version `GLIBC_2.41' not found (required by wal-g)."],
    ['a binary that is not there (the init container copied nothing)', undefined, 'wal-g'],
  ])('%s: bootstrap.sh and backup.sh stop at once, saying what and why', (_what, content, detail) => {
    fs.rmSync(copied, { force: true });
    const before = s.calls().length;
    if (content !== undefined) fs.writeFileSync(copied, content, { mode: 0o755 });
    for (const file of ['bootstrap.sh', 'backup.sh']) {
      const r = s.run(shell, file, [], { PG_WALG_WALG_DIR: walgDir, PG_WALG_STATE: s.work, PGDATA: path.join(s.work, 'data'), PGHOST: s.work, PGPORT: '5432' });
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`pg-walg: ERROR: cannot run ${walgDir}/wal-g \\(copied by the walg-install init container from the WAL-G image; exit \\d+\\): .*`));
      expect(r.stderr).toContain(detail);
      expect(r.stderr).toContain(". The binary must run on this image's C library: use a database image of the WAL-G image's Debian release (glibc, never Alpine's musl), or a WAL-G image built for this one\n");
      // Neither the image's wal-g nor anything else ran.
      expect(s.calls()).toHaveLength(before);
    }
  });
});
