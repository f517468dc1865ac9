// examples/cdk8s-app is the example app as `cdk8s init typescript-app` lays an app out (cdk8s.yaml,
// main.ts, package.json naming this library). Here the real cdk8s CLI, the pinned devDependency, runs
// `cdk8s synth` on a copy of it whose node_modules holds this library as a package built from the
// sources, and the YAML it writes is the example's (examples/typescript), byte for byte.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse } from 'yaml';

const ROOT = path.join(__dirname, '..');
const APP = path.join(ROOT, 'examples', 'cdk8s-app');
const readJson = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8'));
const rootPackage = readJson(path.join(ROOT, 'package.json'));
const appPackage = readJson(path.join(APP, 'package.json'));

test('the app is laid out as `cdk8s init typescript-app` lays one out, with this library as a dependency', () => {
  for (const file of ['cdk8s.yaml', 'main.ts', 'main.test.ts', 'package.json', 'tsconfig.json', 'jest.config.js', '.gitignore', '__snapshots__/main.test.ts.snap']) {
    expect(fs.existsSync(path.join(APP, file))).toBe(true);
  }
  expect(parse(fs.readFileSync(path.join(APP, 'cdk8s.yaml'), 'utf8'))).toEqual({ language: 'typescript', app: 'npx ts-node main.ts' });
  // The library and its peer dependencies at the ranges the library asks for; the CLI this test runs.
  expect(appPackage.dependencies).toEqual({
    'cdk8s': rootPackage.peerDependencies.cdk8s,
    'cdk8s-plus-27': rootPackage.peerDependencies['cdk8s-plus-27'],
    'constructs': rootPackage.peerDependencies.constructs,
    'cdk8s-postgres-walg': 'latest',
  });
  expect(rootPackage.devDependencies['cdk8s-cli']).toMatch(/^\d+\.\d+\.\d+$/);
  expect(appPackage.devDependencies['cdk8s-cli']).toBe(`^${rootPackage.devDependencies['cdk8s-cli']}`);
  expect(appPackage.scripts.synth).toBe('cdk8s synth');
});

test('`cdk8s synth` of the app writes the example\'s YAML', () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-app-'));
  try {
    // The example's YAML, as `npx projen example` writes it.
    const expectedDir = path.join(work, 'example');
    process.env.CDK8S_OUTDIR = expectedDir;
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      jest.isolateModules(() => require('../examples/typescript/main'));
    } finally {
      delete process.env.CDK8S_OUTDIR;
    }

    // The app, with the files a user commits (no node_modules, no dist/).
    const app = path.join(work, 'app');
    fs.mkdirSync(path.join(app, 'node_modules', '@types'), { recursive: true });
    for (const file of ['cdk8s.yaml', 'main.ts', 'package.json', 'tsconfig.json']) {
      fs.copyFileSync(path.join(APP, file), path.join(app, file));
    }

    // The library as npm would install it: package.json and lib/, compiled from src/ with the compiler
    // options of the compile task (tsconfig.json is the one jsii writes and compiles with), plus the pod
    // scripts, which post-compile copies next to the code. Built here so that the test does not depend
    // on whether, or from which sources, lib/ was compiled.
    const pkg = path.join(app, 'node_modules', 'cdk8s-postgres-walg');
    run(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(ROOT, 'tsconfig.json'), '--outDir', path.join(pkg, 'lib')], ROOT);
    fs.mkdirSync(path.join(pkg, 'lib', 'scripts'));
    for (const script of fs.readdirSync(path.join(ROOT, 'src', 'scripts')).filter((f) => f.endsWith('.sh'))) {
      fs.copyFileSync(path.join(ROOT, 'src', 'scripts', script), path.join(pkg, 'lib', 'scripts', script));
    }
    fs.copyFileSync(path.join(ROOT, 'package.json'), path.join(pkg, 'package.json'));

    // The other packages the app's package.json names, from this repo's node_modules (one copy of each:
    // the library and the app share cdk8s and constructs, as npm would dedupe them).
    for (const dep of ['cdk8s', 'cdk8s-plus-27', 'constructs', 'ts-node', 'typescript', '@types/node']) {
      fs.symlinkSync(fs.realpathSync(path.join(ROOT, 'node_modules', dep)), path.join(app, 'node_modules', dep), 'dir');
    }
    fs.mkdirSync(path.join(app, 'node_modules', '.bin'));
    fs.symlinkSync(path.join('..', 'ts-node', readJson(path.join(ROOT, 'node_modules', 'ts-node', 'package.json')).bin['ts-node']), path.join(app, 'node_modules', '.bin', 'ts-node'));

    // `cdk8s synth` as the app's `npm run synth` runs it: it reads cdk8s.yaml and runs `npx ts-node main.ts`
    // (which type-checks main.ts against the package's declarations). Offline: no upgrade check, and npm
    // neither fetches nor checks for updates. Without this process's CDK8S_* (the CLI reads its options
    // from them), TS_NODE_* and npm_* (npm's, when the tests run under npx) variables.
    const cliPackage = require.resolve('cdk8s-cli/package.json');
    expect(readJson(cliPackage).version).toBe(rootPackage.devDependencies['cdk8s-cli']);
    const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(CDK8S_|TS_NODE_|npm_)/i.test(name)));
    run(process.execPath, [path.join(path.dirname(cliPackage), readJson(cliPackage).bin.cdk8s), 'synth', '--no-check-upgrade'], app,
      { ...env, npm_config_offline: 'true', npm_config_update_notifier: 'false' });

    expect(fs.readdirSync(path.join(app, 'dist'))).toEqual(['orders.k8s.yaml']);
    expect(fs.readdirSync(expectedDir)).toEqual(['orders.k8s.yaml']);
    const synthesized = fs.readFileSync(path.join(app, 'dist', 'orders.k8s.yaml'), 'utf8');
    const expected = fs.readFileSync(path.join(expectedDir, 'orders.k8s.yaml'), 'utf8');
    expect(synthesized).toContain('kind: StatefulSet');
    expect(synthesized).toBe(expected);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}, 120_000);

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env) {
  const result = spawnSync(command, args, { cwd, env, encoding: 'utf8', timeout: 90_000 });
  if (result.status !== 0) {
    throw new Error(`${path.basename(args[0])} ${args.slice(1).join(' ')} (in ${cwd}) exited ${result.status ?? result.signal}${result.error ? ` (${result.error.message})` : ''}:\n${result.stdout}\n${result.stderr}`);
  }
  return result.stdout;
}
