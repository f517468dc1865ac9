// How the e2e harness judges a restore: the restored database must equal the source as of the recovery
// target (a logical dump of schema and data, built in SQL: pg_dump is not there for every major), its
// sequences must not hand out a value the source had handed out, and amcheck must find no corrupt btree
// index. Works on PostgreSQL 10–18 through psql (Pod.sql()). `ts-node e2e/lib/judge.ts` checks the diff.
import { createHash } from 'crypto';

/** What the judge needs of a database: a query run by psql -At (rows on lines, fields split by "|"). */
export interface Db {
  sql(query: string): Promise<string>;
}

/** A logical dump: the text compared, and each sequence's last_value (compared apart: see judgeRestore). */
export interface Dump {
  /** Schema lines, then every row of every table, sorted: equal databases give equal text. */
  readonly text: string;
  readonly md5: string;
  /** Sequence → last_value ("" when never called). */
  readonly sequences: Record<string, string>;
  readonly tables: number;
  readonly rows: number;
}

/**
 * The source's schema: a second table the first references, defaults, a check, a unique constraint, an index
 * of its own and a sequence. Columns id and batch come first, so that "INSERT INTO orders SELECT g, <batch>"
 * still works.
 */
export const SCHEMA = [
  "CREATE TABLE customers (id serial PRIMARY KEY, name text NOT NULL UNIQUE, since date NOT NULL DEFAULT DATE '2020-01-01')",
  'CREATE SEQUENCE invoice_seq',
  'CREATE TABLE orders (id int PRIMARY KEY, batch int NOT NULL, customer_id int REFERENCES customers (id), ' +
    "amount numeric(10,2) NOT NULL DEFAULT 0 CHECK (amount >= 0), note text, invoice bigint NOT NULL UNIQUE DEFAULT nextval('invoice_seq'))",
  'CREATE INDEX orders_customer_batch ON orders (customer_id, batch)',
].join('; ');

/** One batch (one transaction): five customers of its own, and orders from..to of theirs (some notes NULL). */
export function batchSql(batch: number, from: number, to: number): string {
  return `INSERT INTO customers (name) SELECT 'customer ' || ${batch} || '-' || g FROM generate_series(1, 5) g; ` +
    `INSERT INTO orders (id, batch, customer_id, amount, note) SELECT g, ${batch}, ` +
    `(SELECT id FROM customers WHERE name = 'customer ' || ${batch} || '-' || (g % 5 + 1)), (g % 97) * 1.25, ` +
    `CASE WHEN g % 7 = 0 THEN NULL ELSE md5(g::text) END FROM generate_series(${from}, ${to}) g`;
}

const USER_REL = "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'";

/** Schema lines of every user table (columns, constraints, indexes) and sequence (its definition). */
const SCHEMA_QUERY = `SELECT line FROM (
  SELECT format('table %I.%I column %s %I %s%s%s%s', n.nspname, c.relname, lpad(a.attnum::text, 3, '0'), a.attname,
    format_type(a.atttypid, a.atttypmod), CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END,
    coalesce(' DEFAULT ' || pg_get_expr(d.adbin, d.adrelid), ''), CASE WHEN a.attidentity <> '' THEN ' IDENTITY ' || a.attidentity::text ELSE '' END) AS line
  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
  WHERE c.relkind IN ('r', 'p') AND ${USER_REL} AND a.attnum > 0 AND NOT a.attisdropped
  UNION ALL
  SELECT format('table %I.%I constraint %I %s', n.nspname, c.relname, k.conname, pg_get_constraintdef(k.oid))
  FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p') AND ${USER_REL}
  UNION ALL
  SELECT format('table %I.%I index %s', n.nspname, c.relname, pg_get_indexdef(i.indexrelid))
  FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p') AND ${USER_REL}
  UNION ALL
  SELECT format('sequence %I.%I %s start %s increment %s min %s max %s cache %s cycle %s', schemaname, sequencename,
    data_type, start_value, increment_by, min_value, max_value, cache_size, cycle)
  FROM pg_sequences WHERE schemaname NOT IN ('pg_catalog', 'information_schema')
) s ORDER BY line COLLATE "C"`;

const TABLES_QUERY = `SELECT x FROM (SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p') AND ${USER_REL}) s (x) ORDER BY x COLLATE "C"`;

/**
 * The dump of a database (the harness's "postgres"): a few psql calls, well under a second for the harness's rows.
 * `where`: a condition on the rows of some tables (by their name in the dump, "public.load"), to dump the state
 * of an earlier moment where the caller knows which rows it held (backup-under-load: the rows committed by an LSN).
 */
export async function takeDump(db: Db, where: Record<string, string> = {}): Promise<Dump> {
  const lines = (await db.sql(SCHEMA_QUERY)).split('\n').filter((l) => l !== '');
  const tables = (await db.sql(TABLES_QUERY)).split('\n').filter((l) => l !== '');
  let rows = 0;
  for (const t of tables) {
    // Every row as its text, ordered by that text: independent of the physical order a restore leaves.
    const out = await db.sql(`SELECT t::text FROM ${t} t${where[t] ? ` WHERE ${where[t]}` : ''} ORDER BY t::text COLLATE "C"`);
    const rs = out === '' ? [] : out.split('\n');
    rows += rs.length;
    lines.push(`rows ${t}: ${rs.length}`, ...rs.map((r) => `row ${t} ${r}`));
  }
  const unknown = Object.keys(where).filter((t) => !tables.includes(t));
  if (unknown.length > 0) throw new Error(`takeDump: no table ${unknown.join(', ')} (tables: ${tables.join(', ')})`);
  const sequences: Record<string, string> = {};
  const seqs = await db.sql("SELECT format('%I.%I', schemaname, sequencename), coalesce(last_value::text, '') FROM pg_sequences " +
    "WHERE schemaname NOT IN ('pg_catalog', 'information_schema')");
  for (const l of seqs.split('\n').filter((x) => x !== '')) {
    const [name, last] = l.split('|');
    sequences[name] = last;
  }
  const text = `${lines.join('\n')}\n`;
  return { text, md5: createHash('md5').update(text).digest('hex'), sequences, tables: tables.length, rows };
}

/** The lines only in one text and only in the other (as many times as they differ), at most max of each. */
export function diffLines(expected: string, actual: string, max = 25): string {
  const count = (s: string) => {
    const m = new Map<string, number>();
    for (const l of s.split('\n')) m.set(l, (m.get(l) ?? 0) + 1);
    return m;
  };
  const e = count(expected);
  const a = count(actual);
  const only = (x: Map<string, number>, y: Map<string, number>, sign: string) => {
    const out: string[] = [];
    for (const l of (sign === '-' ? expected : actual).split('\n')) {
      if ((x.get(l) ?? 0) > (y.get(l) ?? 0)) {
        out.push(`${sign} ${l}`);
        x.set(l, x.get(l)! - 1);
      }
    }
    return out;
  };
  const minus = only(new Map(e), a, '-');
  const plus = only(new Map(a), e, '+');
  const cut = (ls: string[]) => (ls.length > max ? [...ls.slice(0, max), `  … ${ls.length - max} more`] : ls);
  return [`${minus.length} line(s) of the source's dump missing from the restored one (-), ${plus.length} extra (+):`, ...cut(minus), ...cut(plus)].join('\n');
}

/**
 * A sequence's last_value after recovery is what its last replayed WAL record logged: up to 32 values ahead
 * of what the source had handed out (SEQ_LOG_VALS), and further when recovery replayed sequence records of a
 * transaction after the target (they are not transactional: a time target stops at the next commit, after
 * its nextval records). Never behind: that would hand out a value twice.
 */
function checkSequences(source: Dump, restored: Dump, what: string): void {
  const problems: string[] = [];
  for (const [name, last] of Object.entries(source.sequences)) {
    const got = restored.sequences[name];
    if (got === undefined || last === '') continue; // the schema lines name a missing sequence; never called: any state is ahead
    if (got === '' || BigInt(got) < BigInt(last)) {
      problems.push(`${name}: last_value ${got || 'never called'} restored, behind the source's ${last} (it would hand out a value twice)`);
    }
  }
  if (problems.length > 0) throw new Error(`${what}: sequences ${problems.join('; ')}`);
}

/**
 * amcheck's bt_index_check over every btree index of the user tables, with heapallindexed (every heap tuple
 * has its index entry) from PostgreSQL 11 (amcheck 1.1); PostgreSQL 10's amcheck 1.0 checks the index alone.
 * Needs a writable primary (CREATE EXTENSION): every restore here has promoted. Returns the indexes checked.
 */
export async function amcheck(db: Db, major: number): Promise<string[]> {
  // Not through pg_available_extensions: it reads every control file, and the embedded PostgreSQL 10 ships
  // one (jsonb_plperl's) that 10 refuses.
  await db.sql('CREATE EXTENSION IF NOT EXISTS amcheck').catch((e: Error) => {
    throw new Error(`amcheck: CREATE EXTENSION failed on PostgreSQL ${major}: ${e.message}`);
  });
  const indexes = (await db.sql(`SELECT format('%I.%I', n.nspname, ic.relname) FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
    JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_am am ON am.oid = ic.relam
    WHERE am.amname = 'btree' AND c.relkind IN ('r', 'p') AND ${USER_REL} ORDER BY ic.relname::text COLLATE "C"`)).split('\n').filter((l) => l !== '');
  for (const ix of indexes) {
    const call = major >= 11 ? `bt_index_check('${ix}'::regclass, heapallindexed => true)` : `bt_index_check('${ix}'::regclass)`;
    try {
      await db.sql(`SELECT ${call}`);
    } catch (e) {
      throw new Error(`amcheck: index ${ix} is corrupt: ${(e as Error).message.split('\n').filter((l) => /ERROR|DETAIL|HINT/.test(l)).join(' ') || (e as Error).message}`);
    }
  }
  return indexes;
}

/**
 * Judges a restored database against the source's dump as of the recovery target: equal dumps (else the
 * differing lines), sequences not behind the source, and no corrupt btree index.
 */
export async function judgeRestore(db: Db, major: number, source: Dump, what: string): Promise<void> {
  const restored = await takeDump(db);
  if (restored.md5 !== source.md5) {
    throw new Error(`${what}: the restored database differs from the source's dump (${source.tables} tables, ${source.rows} rows, md5 ${source.md5}; ` +
      `restored ${restored.tables} tables, ${restored.rows} rows, md5 ${restored.md5})\n${diffLines(source.text, restored.text)}`);
  }
  checkSequences(source, restored, what);
  await amcheck(db, major);
}

/** Self-check of the pure parts: ts-node e2e/lib/judge.ts */
if (require.main === module) {
  const a = 'schema x\nrow t (1,a)\nrow t (2,b)\nrow t (2,b)\n';
  const same = diffLines(a, a);
  const d = diffLines(a, 'schema x\nrow t (1,a)\nrow t (2,b)\nrow t (3,c)\n');
  const ok = same.startsWith('0 line(s)') && d.includes('- row t (2,b)') && d.includes('+ row t (3,c)') && d.startsWith('1 line(s)')
    && batchSql(1, 1, 100).includes('generate_series(1, 100)');
  console.log(ok ? 'judge self-check: PASS' : `judge self-check: FAIL\n${same}\n${d}`);
  process.exitCode = ok ? 0 : 1;
}

/**
 * Waits until PostgreSQL counts `segment` (or a later one) as archived (`pg_stat_archiver.last_archived_wal`),
 * polling every `intervalMs`; throws after `timeoutMs` with the last segment it did count.
 */
export async function waitArchived(db: Db, segment: string, timeoutMs = 120_000, intervalMs = 500): Promise<void> {
  const t0 = Date.now();
  for (;;) {
    const last = await db.sql("SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver");
    if (last >= segment) return;
    if (Date.now() - t0 > timeoutMs) throw new Error(`segment ${segment} not archived after ${timeoutMs / 1000} s (last archived: ${last || 'none'})`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
