import { describe, expect, it } from "vitest";
import { sseFrames } from "./sse.ts";

function streamOf(chunks: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
}

describe("sseFrames", () => {
  it("reads yoga's frames across chunk boundaries, skipping pings", async () => {
    const frames = [];
    for await (const frame of sseFrames(
      streamOf([
        ':\n\nevent: next\ndata: {"data":',
        '{"a":1}}\n\n',
        ":\n\n",
        "event: next\r\ndata: {}\r\n\r\nevent: complete\ndata:\n\n",
      ]),
    )) {
      frames.push(frame);
    }
    expect(frames).toEqual([
      { event: "next", data: '{"data":{"a":1}}' },
      { event: "next", data: "{}" },
      { event: "complete", data: "" },
    ]);
  });

  it("joins multi-line data", async () => {
    const frames = [];
    for await (const frame of sseFrames(streamOf(["data: a\ndata: b\n\n"]))) frames.push(frame);
    expect(frames).toEqual([{ event: "message", data: "a\nb" }]);
  });
});
