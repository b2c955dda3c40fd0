// The precompiled runtime: the CLI, its worker threads, and every property and design file in
// one ES module built with esbuild (tsx's own dependency), cached in node_modules/.cache under
// a hash of the sources. Neither the CLI nor a worker then goes through the TypeScript loader:
// start-up is a module load. A source edit (or a new file under properties/ or designs/)
// changes the hash and the next start rebuilds. If anything fails, the CLI falls back to tsx.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/**
 * esbuild's options that shape the output (part of the cache key, so a change rebuilds). No
 * keepNames: its __name() wrapper runs each time a closure is made, and the model makes them on
 * its hot path (explore ran about 15% faster without it); stack traces keep file:line by the
 * source map, and nothing reads a function's name.
 */
const OUTPUT = { bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', sourcemap: 'inline' };

/** .ts files under `dir`, sorted (none if it does not exist). */
function tsFiles(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).sort().flatMap((name) => {
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) return tsFiles(p);
    return st.isFile() && name.endsWith('.ts') && !name.endsWith('.d.ts') ? [p] : [];
  });
}

function cacheDir() {
  const modules = join(root, 'node_modules');
  return existsSync(modules) ? join(modules, '.cache', 'entrycheck') : join(tmpdir(), `entrycheck-${process.getuid?.() ?? 'user'}`);
}

/** The entry module: the CLI, the worker dispatch, and a table of the user's files. */
function entrySource(users) {
  const lines = [
    "import { isMainThread, workerData } from 'node:worker_threads';",
    ...users.map((f, i) => `import * as u${i} from ${JSON.stringify(f)};`),
    `globalThis.__entrycheckModules = new Map([${users.map((f, i) => `[${JSON.stringify(f)}, u${i}]`).join(', ')}]);`,
    'globalThis.__entrycheckBundle = import.meta.url;',
    `export { main } from ${JSON.stringify(join(root, 'src/cli/main.ts'))};`,
    `import { startCheckWorker } from ${JSON.stringify(join(root, 'src/check/worker.ts'))};`,
    `import { startGenWorker } from ${JSON.stringify(join(root, 'src/cosim/gen/worker.ts'))};`,
    `import { startExploreWorker } from ${JSON.stringify(join(root, 'src/check/explore/worker.ts'))};`,
    "if (!isMainThread && workerData?.entrycheckWorker === 'check') await startCheckWorker();",
    "if (!isMainThread && workerData?.entrycheckWorker === 'cosim-gen') startGenWorker();",
    "if (!isMainThread && workerData?.entrycheckWorker === 'explore') await startExploreWorker();",
  ];
  return lines.join('\n');
}

/** Builds the runtime for the current sources (or finds it built); its path, or null. */
export async function runtimePath() {
  if (process.env.ENTRYCHECK_NO_BUNDLE) return null;
  try {
    const sources = tsFiles(join(root, 'src'));
    const users = [...tsFiles(join(root, 'properties')), ...tsFiles(join(root, 'designs'))];
    const esbuild = await import('esbuild');
    const hash = createHash('sha256').update(`${esbuild.version} ${process.version} ${JSON.stringify(OUTPUT)}\n`);
    for (const f of [...sources, ...users]) hash.update(relative(root, f)).update('\0').update(readFileSync(f)).update('\0');
    const dir = cacheDir();
    const out = join(dir, `runtime-${hash.digest('hex').slice(0, 16)}.mjs`);
    if (existsSync(out)) return out;
    mkdirSync(dir, { recursive: true });
    // Each file keeps its own import.meta.url (paths like ../../properties/ are relative to it).
    const metaUrl = {
      name: 'import-meta-url',
      setup(build) {
        build.onLoad({ filter: /\.ts$/ }, (args) => ({
          contents: readFileSync(args.path, 'utf8').replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href)),
          loader: 'ts',
        }));
      },
    };
    const tmp = `${out}.${process.pid}.tmp`;
    await esbuild.build({
      stdin: { contents: entrySource(users), resolveDir: root, sourcefile: 'entrycheck-runtime.js', loader: 'js' },
      ...OUTPUT, outfile: tmp, plugins: [metaUrl], logLevel: 'silent',
    });
    renameSync(tmp, out);
    return out;
  } catch (e) {
    if (process.env.ENTRYCHECK_DEBUG) process.stderr.write(`entrycheck: no precompiled runtime (${e instanceof Error ? e.message : e}); using tsx\n`);
    return null;
  }
}

/** The CLI's main(): from the precompiled runtime, or through tsx. */
export async function loadMain() {
  const path = await runtimePath();
  if (path !== null) {
    try {
      return (await import(pathToFileURL(path).href)).main;
    } catch (e) {
      // A runtime that does not load (a half-written cache from another version): build anew next time.
      rmSync(path, { force: true });
      if (process.env.ENTRYCHECK_DEBUG) process.stderr.write(`entrycheck: precompiled runtime failed to load (${e instanceof Error ? e.message : e}); using tsx\n`);
    }
  }
  const { register } = await import('tsx/esm/api');
  register();
  return (await import('../src/cli/main.ts')).main;
}


