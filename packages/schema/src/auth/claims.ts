import { z } from "zod";

export const Role = z.enum(["NATIONAL", "FABRIQUE_ADMIN", "NODE", "SATELLITE", "MEMBER"]);
export type Role = z.infer<typeof Role>;

/** Roles the hub itself signs tokens for (the others are signed by node agents). */
export const HubTokenRole = z.enum(["NATIONAL", "FABRIQUE_ADMIN"]);
export type HubTokenRole = z.infer<typeof HubTokenRole>;

/** The only signature algorithms Maillage accepts (Ed25519). */
export const ALLOWED_ALGORITHMS = ["EdDSA"] as const;

/** The claims Maillage reads from a verified JWT, beyond `iss`, `aud`, `exp`. */
export const TokenClaims = z
  .object({
    sub: z.string().min(1),
    role: Role,
    /** FABRIQUE_ADMIN, NODE, SATELLITE, MEMBER: the fabrique whose network the token acts in. */
    fabriqueId: z.string().min(1).optional(),
    /** SATELLITE: the one space it reports for. */
    spaceId: z.string().min(1).optional(),
    /** MEMBER: the pseudonymous member id. */
    memberId: z.string().min(1).optional(),
  })
  .superRefine((claims, ctx) => {
    if (claims.role !== "NATIONAL" && !claims.fabriqueId) {
      ctx.addIssue({
        code: "custom",
        path: ["fabriqueId"],
        message: `${claims.role} needs fabriqueId`,
      });
    }
    if (claims.role === "SATELLITE" && !claims.spaceId) {
      ctx.addIssue({ code: "custom", path: ["spaceId"], message: "SATELLITE needs spaceId" });
    }
    if (claims.role === "MEMBER" && !claims.memberId) {
      ctx.addIssue({ code: "custom", path: ["memberId"], message: "MEMBER needs memberId" });
    }
  });
export type TokenClaims = z.infer<typeof TokenClaims>;

/** Token lifetimes as the CLI and the API accept them: `30s`, `15m`, `1h`, `7d` (max 365 days). */
export const Ttl = z
  .string()
  .regex(/^[1-9]\d*[smhd]$/, "a duration such as 30m, 1h or 7d")
  .refine((ttl) => ttlSeconds(ttl) <= 365 * 86400, "at most 365d");

export function ttlSeconds(ttl: string): number {
  const unit = { s: 1, m: 60, h: 3600, d: 86400 }[ttl.slice(-1)] ?? Number.NaN;
  return Number.parseInt(ttl.slice(0, -1), 10) * unit;
}
