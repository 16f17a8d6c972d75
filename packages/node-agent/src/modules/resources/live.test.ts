import { afterEach, describe, expect, it, vi } from "vitest";
import { untilExpiry } from "./live.ts";

/** A topic that yields only what is pushed, and records when it is left. */
function topic<T>() {
  const queue: T[] = [];
  let wake: (() => void) | undefined;
  const state = { left: false };
  const iterable: AsyncIterable<T> = {
    [Symbol.asyncIterator]: () => ({
      async next() {
        while (queue.length === 0 && !state.left) await new Promise<void>((r) => (wake = r));
        if (state.left) return { done: true, value: undefined };
        return { done: false, value: queue.shift() as T };
      },
      async return() {
        state.left = true;
        wake?.();
        return { done: true, value: undefined };
      },
    }),
  };
  return {
    iterable,
    state,
    push(item: T) {
      queue.push(item);
      wake?.();
    },
  };
}

const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;

describe("untilExpiry", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("passes what `keep` allows, in order", async () => {
    const source = topic<number>();
    const live = untilExpiry(source.iterable, inAnHour(), (n) => n % 2 === 0);
    for (const n of [1, 2, 3, 4]) source.push(n);
    expect(await live.next()).toEqual({ done: false, value: 2 });
    expect(await live.next()).toEqual({ done: false, value: 4 });
    await live.return?.();
  });

  it("leaves a quiet topic at once when the client goes: no timer, no subscription left", async () => {
    vi.useFakeTimers();
    const source = topic<number>();
    const live = untilExpiry(source.iterable, inAnHour(), () => true);
    const pending = live.next();
    expect(vi.getTimerCount()).toBe(1);
    await live.return?.();
    expect(await pending).toEqual({ done: true, value: undefined });
    expect(source.state.left).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("ends when the token expires", async () => {
    vi.useFakeTimers();
    const source = topic<number>();
    const live = untilExpiry(source.iterable, Math.floor(Date.now() / 1000) + 60, () => true);
    const pending = live.next();
    await vi.advanceTimersByTimeAsync(61_000);
    expect(await pending).toEqual({ done: true, value: undefined });
    expect(source.state.left).toBe(true);
  });

  it("refuses a token already expired", async () => {
    const source = topic<number>();
    const live = untilExpiry(source.iterable, Math.floor(Date.now() / 1000) - 1, () => true);
    await expect(live.next()).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
    expect(source.state.left).toBe(true);
  });
});
