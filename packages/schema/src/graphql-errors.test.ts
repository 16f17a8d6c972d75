import { GraphQLError } from "graphql";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { MaillageError } from "./errors.ts";
import { createErrorMasker } from "./graphql-errors.ts";

describe("error masking", () => {
  const logged: string[] = [];
  const logger = pino({ level: "debug" }, { write: (line: string) => logged.push(line) });
  const mask = createErrorMasker(logger);

  it("hides an unexpected error behind INTERNAL_SERVER_ERROR and logs it", () => {
    const leaky = new GraphQLError("x", {
      originalError: new Error("connect ECONNREFUSED 10.0.0.3:5432 password=hunter2"),
      path: ["spaces"],
    });
    const masked = mask(leaky, "Unexpected error.") as GraphQLError;
    expect(masked.message).toBe("Unexpected error.");
    expect(masked.extensions).toEqual({ code: "INTERNAL_SERVER_ERROR" });
    expect(JSON.stringify(masked)).not.toContain("hunter2");
    expect(logged.join("\n")).toContain("hunter2");
  });

  it("keeps a domain error's code and public details, not its cause", () => {
    const domain = new MaillageError(
      "UNKNOWN_COMMUNE",
      "no commune 99999",
      { communeCode: "99999" },
      {
        cause: new Error("private"),
      },
    );
    const masked = mask(
      new GraphQLError("x", { originalError: domain }),
      "Unexpected error.",
    ) as GraphQLError;
    expect(masked.message).toBe("no commune 99999");
    expect(masked.extensions).toEqual({ code: "UNKNOWN_COMMUNE", communeCode: "99999" });
  });
});
