/**
 * `entrycheck view FILE... [-o out.html]`: the traces (trace or counterexample files, or
 * `--seed S --path P`) reviewed like `replay --verbose` does, written as one self-contained HTML
 * page to open in a browser (no server, nothing fetched): steps with their changed fields,
 * micro-steps to expand, nesting lanes, the task and pt_regs inspector, the violations, and a
 * differential's two branches side by side. Exit 0 when the page is written (whatever the
 * traces violate: `replay` gives the verdict), 2 on bad input; nothing is written then.
 */
import { existsSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { Option, type Command } from 'commander';
import { writeAtomic } from '../check/counterexample.ts';
import { InputError, inputErrors } from '../check/errors.ts';
import { MAX_VIEW_EVENTS } from '../check/limits.ts';
import { viewerPage } from '../report/html/page.ts';
import { traceView } from '../report/html/view-model.ts';
import { summaryLine } from '../report/review-text.ts';
import type { CliCommand } from './command.ts';
import { exitHelp, loadInvariants, warnBrokenFiles } from './common.ts';
import { loadTraces, prepare, type TraceOptions } from './traces.ts';

/** Options of the view command. */
export interface ViewOptions extends TraceOptions {
  readonly output?: string;
}

/** The default page name: the first file's name with .html (in the current folder). */
function defaultOutput(first: string): string {
  return `${basename(first).replace(/\.json$/i, '') || 'trace'}.html`;
}

/** Writes the page. */
export async function viewCommand(files: readonly string[], o: ViewOptions): Promise<number> {
  warnBrokenFiles();
  const loaded = loadTraces(files, o);
  for (const l of loaded) {
    if (l.trace.events.length > MAX_VIEW_EVENTS) throw new InputError(inputErrors.tooLongToView(l.file, MAX_VIEW_EVENTS, l.trace.events.length));
  }
  const out = o.output ?? defaultOutput(files[0] ?? `seed-${o.seed ?? ''}-path-${o.path ?? ''}`);
  if (out !== '-' && existsSync(out) && statSync(out).isDirectory()) throw new InputError(inputErrors.badFlag('output', out, 'a file name (or - for stdout), not a folder'));
  const prepared = prepare(loaded, await loadInvariants(), { ...o, micro: true });
  const views = prepared.map((p) => {
    const r = p.run();
    return traceView(p.l.file, r, summaryLine(r));
  });
  const page = viewerPage(views);
  if (out === '-') process.stdout.write(page);
  else {
    writeAtomic(out, page);
    process.stderr.write(`entrycheck: wrote ${out} (open it in a browser)\n`);
  }
  return 0;
}

/** The view command. */
export const view: CliCommand = {
  register(program: Command, done) {
    program
      .command('view')
      .description('write an HTML page to review traces in a browser: steps, micro-steps, nesting, pt_regs, the violation, both branches of a differential')
      .argument('[file...]', 'trace or counterexample files')
      .option('-o, --output <file>', 'the page to write, - for stdout (default: the first file\'s name with .html, in the current folder)')
      .option('--property <id...>', 'judge only these invariants (default: all)')
      .option('--design <name>', 'replay on this design instead of the one the file names')
      .addOption(new Option('--vendor <vendor>', 'CPU vendor instead of the file\'s').choices(['intel', 'amd']))
      .addOption(new Option('--paging <levels>', 'paging mode instead of the file\'s').choices(['4', '5']))
      .option('--seed <n>', 'with --path: the trace a search generated (see replay --help)')
      .option('--path <n>', 'with --seed: the run index')
      .addHelpText('after', exitHelp('(not used: view writes the page whatever the traces violate; replay gives the verdict)'))
      .action(async (files: string[], opts: ViewOptions) => { done(await viewCommand(files, opts)); });
  },
};
