/**
 * What the national body asks the hub: open spaces per region and department, then the spaces
 * placed in rural communes. Run against a running demo (`npm start`):
 *
 *   TOKEN=<the demo's NATIONAL token> npx tsx examples/national-query/query.ts
 *
 * HUB_URL defaults to http://127.0.0.1:4000.
 */

const QUERY = /* GraphQL */ `
  query NationalOverview {
    regions {
      name
      fabriques
      satellites
      ruralSpaces
      departments {
        name
        satellites
      }
    }
    ruralSpaces: spaces(filter: { rural: true }, first: 50) {
      totalCount
      pageInfo {
        hasNextPage
      }
      edges {
        node {
          name
          kind
          commune {
            name
            population
            department {
              name
            }
          }
          fabrique {
            name
          }
        }
      }
    }
  }
`;

type NationalOverview = {
  regions: {
    name: string;
    fabriques: number;
    satellites: number;
    ruralSpaces: number;
    departments: { name: string; satellites: number }[];
  }[];
  ruralSpaces: {
    totalCount: number;
    pageInfo: { hasNextPage: boolean };
    edges: {
      node: {
        name: string;
        kind: "FABRIQUE" | "SATELLITE";
        commune: { name: string; population: number; department: { name: string } };
        fabrique: { name: string } | null;
      };
    }[];
  };
};

type GraphQLResponse<T> = {
  data?: T | null;
  errors?: { message: string; extensions?: { code?: string } }[];
};

/** Posts the query with the token; any GraphQL error becomes one thrown line with its code. */
async function ask(hubUrl: string, token: string): Promise<NationalOverview> {
  const response = await fetch(new URL("/graphql", hubUrl), {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: QUERY, operationName: "NationalOverview" }),
  });
  const body = (await response.json()) as GraphQLResponse<NationalOverview>;
  const error = body.errors?.[0];
  if (error) throw new Error(`${error.extensions?.code ?? "ERROR"}: ${error.message}`);
  if (!body.data) throw new Error(`HTTP ${response.status} without data`);
  return body.data;
}

/** Text left-aligned, numbers right-aligned, two spaces between columns. */
function table(header: readonly string[], rows: readonly (readonly (string | number)[])[]) {
  const cells = [header, ...rows].map((row) => row.map(String));
  const widths = header.map((_, c) => Math.max(...cells.map((row) => row[c]?.length ?? 0)));
  // A column of numbers (blank cells allowed) is right-aligned.
  const numeric = header.map(
    (_, c) =>
      rows.some((r) => typeof r[c] === "number") &&
      rows.every((r) => typeof r[c] === "number" || r[c] === ""),
  );
  const line = (row: readonly string[]) =>
    row
      .map((cell, c) => (numeric[c] ? cell.padStart(widths[c] ?? 0) : cell.padEnd(widths[c] ?? 0)))
      .join("  ")
      .trimEnd();
  return [
    line(cells[0] ?? []),
    line(widths.map((w) => "-".repeat(w))),
    ...cells.slice(1).map(line),
  ].join("\n");
}

function render({ regions, ruralSpaces }: NationalOverview): string {
  const regionRows = regions.flatMap((region) => [
    [region.name, region.fabriques, region.satellites, region.ruralSpaces],
    ...region.departments.map((d) => [`  ${d.name}`, "", d.satellites, ""]),
  ]);
  const total = (key: "fabriques" | "satellites" | "ruralSpaces") =>
    regions.reduce((sum, region) => sum + region[key], 0);
  const spaceRows = ruralSpaces.edges.map(({ node }) => [
    node.name,
    node.kind === "FABRIQUE" ? "fabrique" : "satellite",
    node.commune.name,
    node.commune.department.name,
    node.commune.population,
    node.fabrique?.name ?? "",
  ]);
  const shown = ruralSpaces.pageInfo.hasNextPage
    ? `first ${ruralSpaces.edges.length} of ${ruralSpaces.totalCount}`
    : `${ruralSpaces.totalCount}`;
  return [
    `Open spaces by region: ${total("fabriques")} fabriques, ${total("satellites")} satellites, ${total("ruralSpaces")} in rural communes`,
    "",
    table(["region / department", "fabriques", "satellites", "rural"], regionRows),
    "",
    `Spaces in rural communes (${shown})`,
    "",
    table(["space", "kind", "commune", "department", "population", "fabrique"], spaceRows),
    "",
  ].join("\n");
}

async function main(): Promise<number> {
  const { HUB_URL, TOKEN: token } = process.env;
  const hubUrl = HUB_URL || "http://127.0.0.1:4000";
  if (!token) {
    process.stderr.write(
      "query.ts: set TOKEN to a NATIONAL token (printed by `npm start`, or `npx maillage hub token --role NATIONAL`)\n",
    );
    return 2;
  }
  try {
    process.stdout.write(render(await ask(hubUrl, token)));
    return 0;
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    const message =
      cause === "ECONNREFUSED"
        ? `no hub at ${hubUrl} (start the demo with \`npm start\`, or set HUB_URL)`
        : error instanceof Error
          ? error.message
          : String(error);
    process.stderr.write(`query.ts: ${message}\n`);
    return 1;
  }
}

process.exitCode = await main();
