import { createHubClient } from "@maillage/node-agent";
import { describe, expect, it } from "vitest";

/**
 * A bug found by the end-to-end suites. The node agent's hub client races each request against
 * the engine's abort signal (`untilAborted` in packages/node-agent/src/sync/hub-client.ts). When
 * the signal is already aborted — the engine stopped between its own check and the request —
 * `untilAborted` returns a rejection of its own without ever attaching a handler to the fetch
 * promise; that fetch rejects with an AbortError nobody handles: an unhandled rejection, which
 * fails a vitest run and, by Node's default, crashes the agent while it shuts down.
 *
 * Fix: in `untilAborted`, mark the promise handled before the early return
 * (`promise.catch(() => undefined); return Promise.reject(signal.reason);`), or check
 * `options.signal?.aborted` in `request()` before calling fetch.
 *
 * The fetch here answers a promise-like that records whether anyone took its outcome.
 */
function observedFetch() {
  let observed = false;
  const outcome = Promise.reject(new DOMException("This operation was aborted", "AbortError"));
  outcome.catch(() => undefined); // this test's own handler: no unhandled rejection here
  const answer = {
    // biome-ignore lint/suspicious/noThenProperty: a thenable that records its consumer
    then(onFulfilled?: (value: never) => unknown, onRejected?: (reason: unknown) => unknown) {
      observed = true;
      return outcome.then(onFulfilled, onRejected);
    },
    catch(onRejected?: (reason: unknown) => unknown) {
      observed = true;
      return outcome.catch(onRejected);
    },
  };
  return {
    fetch: () => answer as unknown as Promise<Response>,
    observed: () => observed,
  };
}

describe("hub client and a stopped engine", () => {
  it("takes the outcome of a request whose signal aborts while it runs", async () => {
    const spy = observedFetch();
    const client = createHubClient({ hubUrl: "http://127.0.0.1:9", fetch: spy.fetch });
    const engine = new AbortController();
    const pulling = client.pullChanges("token", { after: "0", limit: 1 }, engine.signal);
    engine.abort();
    await expect(pulling).rejects.toThrow();
    expect(spy.observed()).toBe(true);
  });

  // Fails until untilAborted handles the dropped promise (see above).
  it("takes the outcome of a request whose signal was aborted before it started", async () => {
    const spy = observedFetch();
    const client = createHubClient({ hubUrl: "http://127.0.0.1:9", fetch: spy.fetch });
    const engine = new AbortController();
    engine.abort();
    await expect(
      client.pullChanges("token", { after: "0", limit: 1 }, engine.signal),
    ).rejects.toThrow();
    expect(spy.observed()).toBe(true);
  });
});
