/**
 * `entrycheck list`: designs with their knobs, invariants with their summaries.
 */
import { allDesigns } from '../check/designs.ts';
import { discoverInvariants } from '../check/discover.ts';
import { stringify } from '../check/json.ts';

/** Prints the designs and the invariants. */
export async function listCommand(o: { json?: boolean }): Promise<number> {
  const designs = allDesigns().map((d) => ({ name: d.name, source: d.source, reconstructed: d.reconstructed, knobs: d.knobs }));
  const invariants = (await discoverInvariants()).map(({ invariant: i, file }) => ({
    id: i.id, kind: i.kind, summary: i.summary, source: i.source, sanity: i.sanity, file: `properties/${file}`,
  }));
  if (o.json) {
    process.stdout.write(stringify({ designs, invariants }));
    return 0;
  }
  const out: string[] = ['Designs:'];
  for (const d of designs) out.push(`  ${d.name}${d.reconstructed ? ' (reconstructed)' : ''}\n      ${d.source}`);
  out.push('', 'Invariants:');
  for (const i of invariants) out.push(`  ${i.id} (${i.kind}${i.sanity ? ', must be violated' : ''})\n      ${i.summary}\n      source: ${i.source}`);
  process.stdout.write(`${out.join('\n')}\n`);
  return 0;
}
