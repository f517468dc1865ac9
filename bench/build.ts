// The JavaScript the bench's child processes run: src/ and bench/ transpiled file by file with the
// compiler options of tsconfig.json (what the build compiles lib/ with), the pod scripts next to them as
// in lib/scripts. The children so measure the library as a user's app loads it, without ts-node.
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';

export const ROOT = path.resolve(__dirname, '..');

/** Transpiles src/**.ts and bench/*.ts into `dir` (dir/src, dir/bench); returns dir. */
export function buildForBench(dir: string): string {
  const config = ts.readConfigFile(path.join(ROOT, 'tsconfig.json'), ts.sys.readFile);
  if (config.error) {
    throw new Error(ts.flattenDiagnosticMessageText(config.error.messageText, '\n'));
  }
  const { options } = ts.convertCompilerOptionsFromJson(config.config.compilerOptions, ROOT);
  // tsconfig.json's "node16" emits CommonJS for this package; say so for single-file transpilation.
  const compilerOptions: ts.CompilerOptions = {
    ...options, module: ts.ModuleKind.CommonJS, moduleResolution: ts.ModuleResolutionKind.Node10, declaration: false,
  };
  fs.rmSync(dir, { recursive: true, force: true });
  for (const sub of ['src', 'bench']) {
    for (const file of fs.readdirSync(path.join(ROOT, sub), { recursive: true }) as string[]) {
      if (!file.endsWith('.ts') || file.endsWith('.d.ts')) continue;
      const source = fs.readFileSync(path.join(ROOT, sub, file), 'utf8');
      const out = ts.transpileModule(source, { compilerOptions, fileName: path.join(ROOT, sub, file) });
      const target = path.join(dir, sub, file.replace(/\.ts$/, '.js'));
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, out.outputText);
    }
  }
  fs.cpSync(path.join(ROOT, 'src', 'scripts'), path.join(dir, 'src', 'scripts'), { recursive: true });
  return dir;
}
