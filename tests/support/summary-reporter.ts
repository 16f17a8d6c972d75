import type { Reporter, SerializedError, TestModule } from "vitest/node";

/**
 * Prints the plain closing line `N passed, N failed` (`, N skipped` when some were skipped),
 * which `.ci/run` adds up. It runs after the default reporter, so its line comes last.
 * A file that fails outside any test (import error, failing `afterAll`) and an unhandled
 * error each count as one failure, so a broken run never reads as green.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(
    testModules: ReadonlyArray<TestModule>,
    unhandledErrors: ReadonlyArray<SerializedError>,
  ): void {
    let passed = 0;
    let failed = unhandledErrors.length;
    let skipped = 0;
    for (const testModule of testModules) {
      for (const test of testModule.children.allTests()) {
        const { state } = test.result();
        if (state === "passed") passed += 1;
        else if (state === "failed") failed += 1;
        else if (state === "skipped") skipped += 1;
      }
      if (testModule.errors().length > 0) failed += 1;
    }
    const line = `${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ""}`;
    process.stdout.write(`\n${line}\n`);
  }
}
