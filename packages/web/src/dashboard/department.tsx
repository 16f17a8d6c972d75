import { useEffect } from "preact/hooks";
import { markReady } from "../app/status.ts";

export default function Placeholder() {
  useEffect(markReady, []);
  return (
    <section class="page">
      <h1>…</h1>
    </section>
  );
}
