/**
 * The API reference as Markdown: every export of src/index.ts with its kind, its declaration
 * (signature or type), its TSDoc, and for interfaces and object types each member with its type
 * and TSDoc. Namespaces (isa, model) are listed with where to read them. Deterministic: exports
 * in source order, members in declaration order.
 */
import ts from 'typescript';

const ROOT = new URL('../', import.meta.url).pathname;
const INDEX = `${ROOT}src/index.ts`;

const docOf = (s: ts.Symbol, checker: ts.TypeChecker): string => ts.displayPartsToString(s.getDocumentationComment(checker)).trim();
const oneLine = (s: string): string => s.replace(/\s+/g, ' ').trim();

function kindOf(d: ts.Declaration): string {
  if (ts.isInterfaceDeclaration(d)) return 'interface';
  if (ts.isTypeAliasDeclaration(d)) return 'type';
  if (ts.isFunctionDeclaration(d)) return 'function';
  if (ts.isClassDeclaration(d)) return 'class';
  if (ts.isVariableDeclaration(d)) return 'const';
  if (ts.isModuleDeclaration(d) || ts.isSourceFile(d) || ts.isNamespaceExport(d)) return 'namespace';
  return ts.SyntaxKind[d.kind] ?? 'export';
}

function members(sym: ts.Symbol, decl: ts.Declaration, checker: ts.TypeChecker): string[] {
  const out: string[] = [];
  const type = checker.getDeclaredTypeOfSymbol(sym);
  for (const m of checker.getPropertiesOfType(type)) {
    const md = m.valueDeclaration ?? m.declarations?.[0];
    if (md === undefined) continue;
    const t = oneLine(checker.typeToString(checker.getTypeOfSymbolAtLocation(m, decl), undefined, ts.TypeFormatFlags.NoTruncation));
    const optional = (m.flags & ts.SymbolFlags.Optional) !== 0 ? '?' : '';
    const doc = oneLine(docOf(m, checker));
    out.push(`- \`${m.name}${optional}: ${t.length > 160 ? `${t.slice(0, 157)}...` : t}\`${doc ? `: ${doc}` : ''}`);
  }
  return out;
}

function signature(sym: ts.Symbol, decl: ts.Declaration, checker: ts.TypeChecker): string {
  if (ts.isFunctionDeclaration(decl)) {
    return checker.getSignaturesOfType(checker.getTypeOfSymbolAtLocation(sym, decl), ts.SignatureKind.Call)
      .map((s) => `function ${sym.name}${oneLine(checker.signatureToString(s, undefined, ts.TypeFormatFlags.NoTruncation))}`).join('\n');
  }
  if (ts.isTypeAliasDeclaration(decl)) return oneLine(decl.getText().replace(/^export\s+/, ''));
  if (ts.isVariableDeclaration(decl)) return `const ${sym.name}: ${oneLine(checker.typeToString(checker.getTypeOfSymbolAtLocation(sym, decl), undefined, ts.TypeFormatFlags.NoTruncation)).slice(0, 300)}`;
  if (ts.isClassDeclaration(decl)) return `class ${sym.name}`;
  if (ts.isInterfaceDeclaration(decl)) return `interface ${sym.name}${decl.typeParameters ? `<${decl.typeParameters.map((p) => p.getText()).join(', ')}>` : ''}`;
  return sym.name;
}

/** docs/api.md's text. */
export function renderApiDocs(): string {
  const program = ts.createProgram([INDEX], { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, allowImportingTsExtensions: true, noEmit: true, strict: true, skipLibCheck: true });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(INDEX);
  if (source === undefined) throw new Error('src/index.ts not found');
  const moduleSym = checker.getSymbolAtLocation(source);
  if (moduleSym === undefined) throw new Error('src/index.ts is not a module');
  const lines: string[] = [
    '# entrycheck API reference',
    '',
    'Generated from the TSDoc comments of what `src/index.ts` exports (`npm run api-docs`; a test fails while this file is stale).',
    'A property file imports from `../../src/index.ts`, a design file from `../src/index.ts`. The guide is the README',
    '("Adding an invariant", "Adding a design"); this is the reference.',
    '',
  ];
  for (const exported of checker.getExportsOfModule(moduleSym)) {
    const sym = (exported.flags & ts.SymbolFlags.Alias) !== 0 ? checker.getAliasedSymbol(exported) : exported;
    const decl = sym.declarations?.[0];
    if (decl === undefined) continue;
    const file = decl.getSourceFile().fileName.replace(ROOT, '');
    const kind = kindOf(decl);
    lines.push(`## ${exported.name} (${kind})`, '');
    if (kind === 'namespace') {
      lines.push(`Everything \`${file}\` exports, as a namespace: read that file's comments.`, '');
      continue;
    }
    lines.push('```ts', signature(sym, decl, checker), '```', '');
    const doc = docOf(sym, checker);
    if (doc) lines.push(doc, '');
    if (ts.isInterfaceDeclaration(decl)) {
      const m = members(sym, decl, checker);
      if (m.length) lines.push(...m, '');
    }
    lines.push(`Defined in \`${file}\`.`, '');
  }
  return `${lines.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd()}\n`;
}
