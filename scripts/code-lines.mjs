// Code lines of each package's src/ (lines holding a token: neither blank nor only comment), the measure of the
// "~300 lines of a link factory" of ADR 0003. `node scripts/code-lines.mjs [package...]` (default: every package);
// `--files` lists each file too. Files under src/testing/ are counted apart (test-time modules, shipped as API).
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

const root = new URL('../packages/', import.meta.url).pathname;
const args = process.argv.slice(2);
const perFile = args.includes('--files');
const packages = args.filter((a) => !a.startsWith('--'));

function sources(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

function codeLines(file) {
  const text = readFileSync(file, 'utf8');
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const lines = new Set();
  const visit = (node) => {
    if (node.kind >= ts.SyntaxKind.FirstJSDocNode && node.kind <= ts.SyntaxKind.LastJSDocNode) return;
    const children = node.getChildren(source);
    if (children.length === 0 && node.kind !== ts.SyntaxKind.EndOfFileToken && node.kind !== ts.SyntaxKind.SyntaxList) {
      const start = node.getStart(source);
      const end = node.getEnd();
      if (end > start) {
        const first = source.getLineAndCharacterOfPosition(start).line;
        const last = source.getLineAndCharacterOfPosition(end - 1).line;
        for (let line = first; line <= last; line++) lines.add(line);
      }
    }
    for (const child of children) visit(child);
  };
  visit(source);
  return lines.size;
}

const names = packages.length > 0 ? packages : readdirSync(root).filter((name) => statSync(join(root, name, 'src'), { throwIfNoEntry: false })?.isDirectory());
for (const name of names) {
  const files = sources(join(root, name, 'src')).map((file) => ({ file: file.slice(join(root, name, 'src').length + 1), lines: codeLines(file) }));
  const testing = files.filter((f) => f.file.startsWith('testing/')).reduce((sum, f) => sum + f.lines, 0);
  const total = files.reduce((sum, f) => sum + f.lines, 0);
  console.log(`${name.padEnd(20)} ${String(total - testing).padStart(5)}${testing > 0 ? `  (+${testing} in src/testing/)` : ''}`);
  if (perFile) for (const f of files.sort((a, b) => b.lines - a.lines)) console.log(`  ${String(f.lines).padStart(5)}  ${f.file}`);
}
