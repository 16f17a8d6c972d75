import { GraphQLError } from "graphql";
import { describe, expect, it } from "vitest";
import { MaillageError } from "../errors.ts";
import {
  boundedOperationNames,
  createGraphQLMetrics,
  documentedCodeOf,
  hasMetricsToken,
  metricsDisabledResponse,
  sharedPerScrape,
} from "./metrics.ts";

const TOKEN = "0123456789abcdef0123456789abcdef";

describe("hasMetricsToken", () => {
  it("accepts the bearer token only", () => {
    expect(hasMetricsToken(TOKEN, `Bearer ${TOKEN}`)).toBe(true);
    expect(hasMetricsToken(TOKEN, `bearer ${TOKEN}`)).toBe(true);
    expect(hasMetricsToken(TOKEN, TOKEN)).toBe(false);
    expect(hasMetricsToken(TOKEN, `Bearer ${TOKEN}0`)).toBe(false);
    expect(hasMetricsToken(TOKEN, `Bearer ${TOKEN.slice(0, -1)}`)).toBe(false);
    expect(hasMetricsToken(TOKEN, "Bearer ")).toBe(false);
    expect(hasMetricsToken(TOKEN, null)).toBe(false);
    expect(hasMetricsToken(TOKEN, undefined)).toBe(false);
  });
});

describe("boundedOperationNames", () => {
  it("keeps the first names, then answers other; unnamed is Anonymous", () => {
    const label = boundedOperationNames(2);
    expect(label(undefined)).toBe("Anonymous");
    expect(label("")).toBe("Anonymous");
    expect(label("One")).toBe("One");
    expect(label("Two")).toBe("Two");
    expect(label("Three")).toBe("other");
    expect(label("One")).toBe("One");
    expect(boundedOperationNames()('x"} 1\nevil')).toBe("other");
  });
});

describe("documentedCodeOf", () => {
  it("classifies errors as the masker answers them", () => {
    const located = new GraphQLError("no", {
      originalError: new MaillageError("FORBIDDEN", "no"),
    });
    expect(documentedCodeOf(located)).toBe("FORBIDDEN");
    expect(documentedCodeOf(new GraphQLError("x", { extensions: { code: "SLOT_TAKEN" } }))).toBe(
      "SLOT_TAKEN",
    );
    expect(documentedCodeOf(new GraphQLError("Variable $x got invalid value"))).toBe(
      "BAD_USER_INPUT",
    );
    expect(documentedCodeOf(new GraphQLError("boom", { originalError: new Error("db") }))).toBe(
      "INTERNAL_SERVER_ERROR",
    );
    expect(documentedCodeOf({ message: "m", extensions: { code: "NOT_FOUND" } })).toBe("NOT_FOUND");
    expect(documentedCodeOf(new GraphQLError("x", { extensions: { code: "WHATEVER" } }))).toBe(
      "INTERNAL_SERVER_ERROR",
    );
  });
});

describe("sharedPerScrape", () => {
  it("reads once for the gauges of one scrape, again at the next", async () => {
    let reads = 0;
    const read = sharedPerScrape(async () => ++reads);
    expect(await Promise.all([read(), read(), read()])).toEqual([1, 1, 1]);
    expect(await read()).toBe(2);
  });
});

describe("createGraphQLMetrics", () => {
  it("gives each instance its own registry and answers 401 without the token", async () => {
    const a = await createGraphQLMetrics({ token: TOKEN, defaultMetrics: false });
    const b = await createGraphQLMetrics({ token: TOKEN, defaultMetrics: false });
    expect(a.registry).not.toBe(b.registry);
    expect(a.registry.getSingleMetric("maillage_graphql_errors_total")).toBeDefined();
    const refused = await a.respond("Bearer wrong");
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({
      errors: [{ extensions: { code: "UNAUTHENTICATED" } }],
    });
    const answered = await a.respond(`Bearer ${TOKEN}`);
    expect(answered.status).toBe(200);
    expect(await answered.text()).toContain('maillage_graphql_errors_total{code="FORBIDDEN"} 0');
    expect(metricsDisabledResponse().status).toBe(404);
  });
});
