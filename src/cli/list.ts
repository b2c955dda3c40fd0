/**
 * `entrycheck list`: designs with their sources, invariants with their summaries; `--knobs`
 * adds every design's knob values; `--json` has everything. User files that could not be
 * loaded are listed too, each with why.
 */
import type { Command } from 'commander';
import { allDesigns, brokenDesigns } from '../check/designs.ts';
import { brokenProperties } from '../check/discover.ts';
import { stringify } from '../check/json.ts';
import type { Knobs } from '../kernel/index.ts';
import type { CliCommand } from './command.ts';
import { loadInvariants } from './common.ts';

/** One knob value as text. */
function knobText(v: unknown): string {
  if (typeof v === 'bigint') return `0x${v.toString(16)}`;
  if (v !== null && typeof v === 'object') return Object.entries(v).map(([k, x]) => `${k}=${knobText(x)}`).join(' ');
  return String(v);
}

/** Knobs, one per line, indented. */
function knobLines(k: Knobs): string[] {
  return Object.entries(k).map(([name, v]) => `      ${name}: ${knobText(v)}`);
}

/** Prints the designs and the invariants. */
export async function listCommand(o: { json?: boolean; knobs?: boolean }): Promise<number> {
  const found = await loadInvariants();
  const designs = allDesigns().map((d) => ({ name: d.name, source: d.source, reconstructed: d.reconstructed, knobs: d.knobs }));
  const invariants = found.map(({ invariant: i, file }) => ({
    id: i.id, kind: i.kind, summary: i.summary, source: i.source, sanity: i.sanity, file: `properties/${file}`,
  }));
  const broken = [...brokenDesigns(), ...brokenProperties()].map((b) => ({ file: b.file, message: b.message }));
  if (o.json) {
    process.stdout.write(stringify({ designs, invariants, broken }));
    return 0;
  }
  const out: string[] = ['Designs:'];
  for (const d of designs) {
    out.push(`  ${d.name}${d.reconstructed ? ' (reconstructed)' : ''}\n      ${d.source}`);
    if (o.knobs) out.push(...knobLines(d.knobs));
  }
  out.push('', 'Invariants:');
  for (const i of invariants) out.push(`  ${i.id} (${i.kind}${i.sanity ? ', reachability claim: must be violated' : ''})\n      ${i.summary}\n      source: ${i.source}`);
  if (broken.length) {
    out.push('', 'Files that could not be loaded:');
    for (const b of broken) out.push(`  ${b.message}`);
  }
  if (!o.knobs) out.push('', 'Knob values: entrycheck list --knobs (or --json).');
  process.stdout.write(`${out.join('\n')}\n`);
  return 0;
}

/** The list command. */
export const list: CliCommand = {
  register(program: Command, done) {
    program
      .command('list')
      .description('list the designs and the invariants (--knobs: with every design\'s knob values)')
      .option('--knobs', 'show each design\'s knob values')
      .option('--json', 'machine-readable output, knobs included (schemas/list-output.schema.json)')
      .action(async (opts: { json?: boolean; knobs?: boolean }) => { done(await listCommand(opts)); });
  },
};
