import fs from "node:fs";
import path from "node:path";
import { type DocumentNode, Kind, parse } from "graphql";
import ts from "typescript";

/**
 * Every GraphQL document written in the repository's TypeScript: the CLI, the demo, the
 * agents' sync (the contract's SyncOperations), the examples, the benches and the test suites.
 * Found statically: each string or template literal that parses as a GraphQL document with an
 * operation. A template's `${…}` is replaced by the constant it names when the same file
 * defines one (a shared selection such as `${SPACE}`), else by a placeholder value.
 */
export type FoundOperation = {
  /** Path from the repository root, and line. */
  where: string;
  source: string;
  document: DocumentNode;
};

const REPO = path.resolve(import.meta.dirname, "../..");

/** Where operations are written; generated code and dependencies are not. */
const ROOTS = ["packages", "tests", "examples"];
const SKIPPED_DIRS = new Set(["node_modules", "generated", ".maillage", ".turbo", "dist"]);

function sourceFiles(dir: string, found: string[] = []): string[] {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (SKIPPED_DIRS.has(entry.name)) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) sourceFiles(full, found);
    else if (/\.tsx?$/.test(entry.name) && !entry.name.endsWith(".d.ts")) found.push(full);
  }
  return found;
}

const LOOKS_LIKE_GRAPHQL = /^(?:\s|#[^\n]*\n)*(?:query|mutation|subscription|\{)/;

/** Placeholders tried, in order, for a `${…}` that names no constant of the file. */
const PLACEHOLDERS = ["0", "x", ""];

export function findOperations(exclude: (relative: string) => boolean): {
  operations: FoundOperation[];
  files: number;
} {
  const operations: FoundOperation[] = [];
  const files = ROOTS.flatMap((root) => sourceFiles(path.join(REPO, root)))
    .map((file) => path.relative(REPO, file))
    .filter((file) => !exclude(file));
  for (const file of files) {
    const text = fs.readFileSync(path.join(REPO, file), "utf8");
    if (!/query|mutation|subscription/.test(text)) continue;
    const sourceFile = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
    const constants = stringConstants(sourceFile);
    const visit = (node: ts.Node) => {
      const candidates = literalTexts(node, constants);
      for (const candidate of candidates) {
        if (!LOOKS_LIKE_GRAPHQL.test(candidate)) continue;
        const document = tryParse(candidate);
        if (!document) continue;
        if (!document.definitions.some((d) => d.kind === Kind.OPERATION_DEFINITION)) continue;
        const line = sourceFile.getLineAndCharacterOfPosition(node.getStart()).line + 1;
        operations.push({ where: `${file}:${line}`, source: candidate, document });
        break;
      }
      if (candidates.length === 0) ts.forEachChild(node, visit);
    };
    visit(sourceFile);
  }
  return { operations, files: files.length };
}

function tryParse(source: string): DocumentNode | undefined {
  try {
    return parse(source);
  } catch {
    return undefined;
  }
}

/** `const NAME = "…"` or a template literal, anywhere in the file: its text, resolved. */
function stringConstants(sourceFile: ts.SourceFile): Map<string, string> {
  const raw = new Map<string, ts.Expression>();
  const collect = (node: ts.Node) => {
    if (
      ts.isVariableDeclaration(node) &&
      ts.isIdentifier(node.name) &&
      node.initializer &&
      (ts.isStringLiteral(node.initializer) ||
        ts.isNoSubstitutionTemplateLiteral(node.initializer) ||
        ts.isTemplateExpression(node.initializer))
    ) {
      raw.set(node.name.text, node.initializer);
    }
    ts.forEachChild(node, collect);
  };
  collect(sourceFile);
  const resolved = new Map<string, string>();
  const resolving = new Set<string>();
  const resolve = (name: string): string | undefined => {
    if (resolved.has(name)) return resolved.get(name);
    const init = raw.get(name);
    if (!init || resolving.has(name)) return undefined;
    resolving.add(name);
    const text = ts.isTemplateExpression(init)
      ? joinTemplate(init, (expr) => (ts.isIdentifier(expr) ? resolve(expr.text) : undefined), "")
      : (init as ts.StringLiteral).text;
    resolving.delete(name);
    resolved.set(name, text);
    return text;
  };
  for (const name of raw.keys()) resolve(name);
  return resolved;
}

function joinTemplate(
  template: ts.TemplateExpression,
  lookup: (expr: ts.Expression) => string | undefined,
  placeholder: string,
): string {
  let text = template.head.text;
  for (const span of template.templateSpans) {
    text += (lookup(span.expression) ?? placeholder) + span.literal.text;
  }
  return text;
}

/** The texts a literal node may stand for (none when it is not a string or template). */
function literalTexts(node: ts.Node, constants: Map<string, string>): string[] {
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return [node.text];
  if (!ts.isTemplateExpression(node)) return [];
  const lookup = (expr: ts.Expression) =>
    ts.isIdentifier(expr) ? constants.get(expr.text) : undefined;
  return PLACEHOLDERS.map((placeholder) => joinTemplate(node, lookup, placeholder));
}
