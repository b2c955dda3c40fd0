/**
 * `entrycheck list`: designs with their knobs, invariants with their summaries.
 */
import { stringify } from '../check/json.ts';
import { DESIGNS } from '../kernel/index.ts';

/** Prints the designs (and, once loaded, the invariants). */
export async function listCommand(o: { json?: boolean }): Promise<number> {
  const designs = DESIGNS.map((d) => ({ name: d.name, source: d.source, reconstructed: d.reconstructed, knobs: d.knobs }));
  if (o.json) {
    process.stdout.write(stringify({ designs, invariants: [] }));
    return 0;
  }
  const out: string[] = ['Designs:'];
  for (const d of designs) out.push(`  ${d.name}${d.reconstructed ? ' (reconstructed)' : ''}\n      ${d.source}`);
  process.stdout.write(`${out.join('\n')}\n`);
  return 0;
}
