/**
 * A violation message cut down to what differs. A differential invariant compares two register
 * dumps ("expected task 3 resumes with rax=0x0 ... gs=0x0 (as after IRET), got task 3 resumes
 * with rax=0x0 ... after SYSRET"): twenty fields, two of which differ. Every `name=value` field
 * that appears exactly twice with the same value is dropped from both sides, and the message
 * says so. Messages without such pairs are left alone, so this is safe on any invariant's text.
 */

// A field: a name, "=", a value, and an optional short lower-case note ("cs=0x33 (code64 dpl3)"),
// not the message's own words ("gs=0x0 (as after IRET)").
const FIELD = /(^|\s)([A-Za-z_][\w.]*)=([^\s,]+(?: \([a-z0-9]+(?: [a-z0-9]+)?\))?)(?=\s|,|$)/g;

/** The message with equal `name=value` pairs removed from both sides, or the message itself. */
export function briefMessage(message: string): string {
  const seen = new Map<string, string[]>();
  for (const m of message.matchAll(FIELD)) {
    const list = seen.get(m[2] as string) ?? [];
    list.push(m[3] as string);
    seen.set(m[2] as string, list);
  }
  const same = new Set([...seen].filter(([, vs]) => vs.length === 2 && vs[0] === vs[1]).map(([k]) => k));
  const differ = [...seen].filter(([, vs]) => vs.length === 2 && vs[0] !== vs[1]).length;
  // Worth it only for a dump: several equal pairs, and something that does differ.
  if (same.size < 3 || differ === 0) return message;
  const cut = message.replace(FIELD, (all, lead: string, name: string) => (same.has(name) ? lead : all)).replace(/ {2,}/g, ' ').replace(/ ([,)])/g, '$1').trimEnd();
  return `${cut} (${same.size} other fields equal)`;
}
