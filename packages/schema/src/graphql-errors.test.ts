import { GraphQLError } from "graphql";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { MaillageError } from "./errors.ts";
import { createErrorMasker, withDefaultCode } from "./graphql-errors.ts";

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

describe("GraphQL-level errors", () => {
  const logged: string[] = [];
  const logger = pino({ level: "debug" }, { write: (line: string) => logged.push(line) });
  const mask = createErrorMasker(logger);

  it("answers yoga's BAD_REQUEST without the JSON parser's originalError, keeping its 400", () => {
    // What yoga throws for a POST body that is not JSON.
    const yogaError = new GraphQLError("POST body sent invalid JSON.", {
      extensions: {
        http: { spec: true, status: 400 },
        code: "BAD_REQUEST",
        originalError: { name: "SyntaxError", message: "Unexpected token n in JSON at 1" },
      },
    });
    const masked = mask(yogaError, "Unexpected error.");
    expect(masked.message).toBe("POST body sent invalid JSON.");
    expect(masked.extensions).toEqual({ code: "BAD_REQUEST", http: { spec: false, status: 400 } });
    expect(JSON.stringify(masked)).not.toContain("originalError");
    expect(JSON.stringify(masked)).not.toContain("Unexpected token");
  });

  it("maps yoga's other codes to the documented ones", () => {
    const masked = mask(
      new GraphQLError("Could not determine what operation to execute.", {
        extensions: { code: "OPERATION_RESOLUTION_FAILURE", http: { status: 400 } },
      }),
      "Unexpected error.",
    );
    expect(masked.extensions).toEqual({ code: "BAD_REQUEST", http: { status: 400 } });
  });

  it("never answers a code that is not documented", () => {
    const masked = mask(
      new GraphQLError("boom", { extensions: { code: "SOME_LIBRARY_CODE", detail: "x" } }),
      "Unexpected error.",
    );
    expect(masked.message).toBe("Unexpected error.");
    expect(masked.extensions).toEqual({ code: "INTERNAL_SERVER_ERROR" });
    expect(logged.join("\n")).toContain("SOME_LIBRARY_CODE");
  });

  it("masks a driver error wrapped twice in GraphQLErrors (no SQL, no stack)", () => {
    const sql = new Error(
      'duplicate key value violates unique constraint "space_pkey" (INSERT INTO space …)',
    );
    const wrapped = new GraphQLError("outer", {
      path: ["createSpace"],
      originalError: new GraphQLError(sql.message, { originalError: sql }),
    });
    const masked = mask(wrapped, "Unexpected error.");
    expect(masked.extensions).toEqual({ code: "INTERNAL_SERVER_ERROR" });
    expect(masked.path).toEqual(["createSpace"]);
    expect(JSON.stringify(masked)).not.toMatch(/INSERT|space_pkey|stack/);
  });

  it("keeps a limit's public extensions and drops the rest", () => {
    const masked = mask(
      new GraphQLError("Aliases limit of 30 exceeded, found 500.", {
        extensions: { code: "QUERY_TOO_COMPLEX", limit: "aliases", max: 30, stack: "at …" },
      }),
      "Unexpected error.",
    );
    expect(masked.extensions).toEqual({ code: "QUERY_TOO_COMPLEX", limit: "aliases", max: 30 });
  });

  it("codes graphql-js's own input errors BAD_USER_INPUT, with the variable in the message", () => {
    const scalar = new GraphQLError("DateTime must be an ISO 8601 string");
    const coerced = new GraphQLError(
      'Variable "$from" got invalid value "tomorrow"; DateTime must be an ISO 8601 string',
      { originalError: scalar },
    );
    const masked = mask(coerced, "Unexpected error.");
    expect(masked.message).toContain('Variable "$from"');
    expect(masked.extensions).toEqual({ code: "BAD_USER_INPUT" });
  });

  it("withDefaultCode codes a bare parse or validation error and leaves coded ones alone", () => {
    const bare = withDefaultCode(new GraphQLError("Syntax Error"), "GRAPHQL_PARSE_FAILED");
    expect((bare as GraphQLError).extensions.code).toBe("GRAPHQL_PARSE_FAILED");
    const coded = new GraphQLError("too deep", { extensions: { code: "QUERY_TOO_COMPLEX" } });
    expect(withDefaultCode(coded, "GRAPHQL_VALIDATION_FAILED")).toBe(coded);
  });
});
