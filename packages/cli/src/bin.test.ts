import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));

/** Runs the real `bin/maillage.js` in a child process (tsx registration included). */
function maillage(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["bin/maillage.js", ...args],
      { cwd: repoRoot },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : 1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

describe("bin/maillage.js", () => {
  it("prints the help and exits 0", async () => {
    const result = await maillage(["--help"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: maillage <command>/);
  });

  it("answers agent --help", async () => {
    const result = await maillage(["agent", "--help"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: maillage agent <command>/);
    for (const command of ["init", "start", "token", "status"]) {
      expect(result.stdout).toContain(`  ${command} `);
    }
    expect(result.stderr).toBe("");
  });

  it("exits 2 with one line on stderr for an unknown flag", async () => {
    const result = await maillage(["hub", "start", "--nope"]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toBe(
      'maillage: unknown option --nope (see "maillage hub start --help")\n',
    );
  });
});
