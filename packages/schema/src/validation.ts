import type { z } from "zod";
import { MaillageError } from "./errors.ts";

/**
 * Parses input at a boundary. A failure is BAD_USER_INPUT naming the first offending field,
 * e.g. `name: at least 2 characters`.
 */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue?.path.join(".") || "input";
  throw new MaillageError("BAD_USER_INPUT", `${field}: ${issue?.message ?? "invalid"}`, { field });
}
