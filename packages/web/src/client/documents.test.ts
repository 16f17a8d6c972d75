import { readFileSync } from "node:fs";
import { buildSchema, type DocumentNode, type GraphQLSchema, validate } from "graphql";
import { describe, expect, it } from "vitest";

// Every GraphQL document exported by a src/**/queries.ts is checked against the committed SDL
// of the server it is written for (the file imports hub-graphql.ts or agent-graphql.ts): a
// field renamed or removed in the API fails here, whatever the editor's tooling says.
const modules = import.meta.glob<Record<string, unknown>>("../**/queries.ts", { eager: true });
const sources = import.meta.glob<string>("../**/queries.ts", {
  eager: true,
  query: "?raw",
  import: "default",
});

const sdl = (name: "hub" | "agent") =>
  buildSchema(readFileSync(new URL(`../../../schema/${name}.graphql`, import.meta.url), "utf8"));
const schemas: Record<"hub" | "agent", GraphQLSchema> = { hub: sdl("hub"), agent: sdl("agent") };

function schemaOf(path: string): "hub" | "agent" {
  const source = sources[path] ?? "";
  const hub = /from\s+["'][^"']*hub-graphql(\.ts)?["']/.test(source);
  const agent = /from\s+["'][^"']*agent-graphql(\.ts)?["']/.test(source);
  if (hub === agent)
    throw new Error(
      `${path} must import graphql from exactly one of hub-graphql.ts, agent-graphql.ts`,
    );
  return hub ? "hub" : "agent";
}

function isDocument(value: unknown): value is DocumentNode {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as { kind?: unknown }).kind === "Document" &&
    Array.isArray((value as { definitions?: unknown }).definitions)
  );
}

describe("GraphQL documents match the committed SDLs", () => {
  const paths = Object.keys(modules).sort();

  it("finds the documents", () => {
    expect(paths.length).toBeGreaterThan(0);
  });

  for (const path of paths) {
    const schemaName = schemaOf(path);
    const documents = Object.entries(modules[path] ?? {}).filter(([, value]) => isDocument(value));
    it(`${path} exports documents`, () => {
      expect(documents.length).toBeGreaterThan(0);
    });
    for (const [name, document] of documents) {
      it(`${path} ${name} is valid against ${schemaName}.graphql`, () => {
        const errors = validate(schemas[schemaName], document as DocumentNode).map(
          (e) => e.message,
        );
        expect(errors).toEqual([]);
      });
    }
  }

  it("fails on a document that no longer matches", async () => {
    const { graphql } = await import("./hub-graphql.ts");
    const stale = graphql(`query { networkHealth { coverage { spaces } } }`);
    expect(validate(schemas.hub, stale as DocumentNode)).toEqual([]);
    const broken = { ...stale, definitions: structuredClone(stale.definitions) } as DocumentNode;
    // rename the selected field as if the API had dropped it
    const text = JSON.stringify(broken).replace('"value":"spaces"', '"value":"spacesGone"');
    expect(validate(schemas.hub, JSON.parse(text) as DocumentNode).length).toBeGreaterThan(0);
  });
});
