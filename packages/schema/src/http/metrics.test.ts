import perfHooks from "node:perf_hooks";
import { GraphQLError } from "graphql";
import { describe, expect, it, vi } from "vitest";
import { MaillageError } from "../errors.ts";
import {
  boundedOperationNames,
  collectStoppableDefaultMetrics,
  createGraphQLMetrics,
  documentedCodeOf,
  hasMetricsToken,
  metricsDisabledResponse,
  sharedPerScrape,
} from "./metrics.ts";
import { metricSample } from "./metrics-sample.ts";

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

  it("counts a socket subscription until its subscriber leaves, and the errors it receives", async () => {
    const metrics = await createGraphQLMetrics({ token: TOKEN, defaultMetrics: false });
    const scrape = async () => (await metrics.respond(`Bearer ${TOKEN}`)).text();
    const active = async () =>
      metricSample(await scrape(), "maillage_graphql_active_subscriptions");
    const forbidden = async () =>
      metricSample(await scrape(), "maillage_graphql_errors_total", { code: "FORBIDDEN" });
    const refusal = new GraphQLError("no", { extensions: { code: "FORBIDDEN" } });
    async function* events() {
      yield { data: { n: 1 } };
      yield { errors: [refusal] };
      yield { data: { n: 3 } };
    }
    // Not a stream: unchanged, not counted.
    const single = { data: null, errors: [refusal] };
    expect(metrics.socketResult(single)).toBe(single);

    // Left after two events (return), then completed, then failed: each counted until then.
    const left = metrics.socketResult(events());
    const done = metrics.socketResult(events());
    const failing = metrics.socketResult(
      (async function* () {
        yield { data: { n: 1 } };
        throw new Error("gone");
      })(),
    );
    expect(await active()).toBe(3);
    expect((await left.next()).value).toEqual({ data: { n: 1 } });
    await left.next();
    expect(await forbidden()).toBe(1);
    await left.return(undefined);
    await left.return(undefined);
    expect(await active()).toBe(2);
    for await (const _ of done);
    expect(await active()).toBe(1);
    expect(await forbidden()).toBe(2);
    await failing.next();
    await expect(failing.next()).rejects.toThrow("gone");
    expect(await active()).toBe(0);

    expect(metrics.countErrors([refusal, new GraphQLError("bad")])).toHaveLength(2);
    expect(await forbidden()).toBe(3);
    expect(
      metricSample(await scrape(), "maillage_graphql_errors_total", { code: "BAD_USER_INPUT" }),
    ).toBe(1);
  });
});

describe("collectStoppableDefaultMetrics", () => {
  it("stops the event-loop monitor and the GC observer prom-client starts", async () => {
    const prom = await import("prom-client");
    const monitors = vi.spyOn(perfHooks, "monitorEventLoopDelay");
    const observe = vi.spyOn(perfHooks.PerformanceObserver.prototype, "observe");
    const disconnect = vi.spyOn(perfHooks.PerformanceObserver.prototype, "disconnect");
    try {
      const registry = new prom.Registry();
      const stop = collectStoppableDefaultMetrics(prom, registry);
      // The module's own functions are back once the metrics are made.
      expect(perfHooks.monitorEventLoopDelay).toBe(monitors);
      expect(monitors).toHaveBeenCalledTimes(1);
      expect(observe).toHaveBeenCalledWith({ entryTypes: ["gc"] });
      const monitor = monitors.mock.results[0]?.value as perfHooks.IntervalHistogram;
      expect(await registry.getSingleMetricAsString("nodejs_eventloop_lag_p99_seconds")).toMatch(
        /nodejs_eventloop_lag_p99_seconds \d/,
      );
      expect(disconnect).not.toHaveBeenCalled();
      stop();
      // disable() answers false when the monitor was disabled already.
      expect(monitor.disable()).toBe(false);
      expect(disconnect.mock.contexts).toEqual(observe.mock.contexts);
    } finally {
      monitors.mockRestore();
      observe.mockRestore();
      disconnect.mockRestore();
    }
  });
});
