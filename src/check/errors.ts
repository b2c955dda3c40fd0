/**
 * Every error text about bad input (files, designs, flags), in one table. Each is one line that
 * names the file or flag and the field; the CLI prints it and exits with status 2.
 */
export const inputErrors = {
  readFile: (file: string, why: string) => `${file}: cannot read: ${why}`,
  notJson: (file: string, why: string) => `${file}: not JSON: ${why}`,
  field: (file: string, path: string, why: string) => `${file}: ${path || '(top level)'}: ${why}`,
  unknownDesign: (name: string, known: readonly string[]) => `unknown design "${name}" (known: ${known.join(', ')})`,
  unknownInvariant: (id: string, known: readonly string[]) => `unknown invariant "${id}" (known: ${known.join(', ')})`,
  badSymbol: (file: string, path: string, sym: string) => `${file}: ${path}: unknown symbol "${sym}"`,
  badFlag: (flag: string, value: string, want: string) => `--${flag}: expected ${want}, got "${value}"`,
  designFile: (file: string, path: string, why: string) => `${file}: ${path}: ${why}`,
} as const;

/** Bad input from a user: reported as one line, exit status 2. */
export class InputError extends Error {
  override readonly name = 'InputError';
}
