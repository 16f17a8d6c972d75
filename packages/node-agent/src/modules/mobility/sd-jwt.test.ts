import { generateKeyPair } from "jose";
import { describe, expect, it } from "vitest";
import { digestOf, issueSdJwt, PASS_TYP, present, verifySdJwt } from "./sd-jwt.ts";

/** The SD-JWT format on its own (no store): RFC 9901's own example, round trips, refusals. */
describe("SD-JWT passes", async () => {
  const { privateKey, publicKey } = await generateKeyPair("EdDSA", { crv: "Ed25519" });
  const keyOf = async (kid: string) => (kid === "node-1" ? publicKey : undefined);
  const claims = {
    passId: "pass-1",
    nodeId: "node-1",
    memberId: "member-1",
    homeSpaceId: "space-1",
    validFrom: new Date("2026-01-01T00:00:00Z"),
    validUntil: new Date("2027-01-01T00:00:00Z"),
    issuedAt: new Date("2026-01-01T00:00:00Z"),
  };

  it("hashes a Disclosure as RFC 9901 §4.2.3 does (its example)", () => {
    expect(
      digestOf("WyJfMjZiYzRMVC1hYzZxMktJNmNCVzVlcyIsICJmYW1pbHlfbmFtZSIsICJNw7ZiaXVzIl0"),
    ).toBe("X9yH0Ajrdm1Oij4tWso9UzzKJvPoDxwmuEcO3XAdRC0");
  });

  it("shows exactly the chosen disclosures, each checked against the signed digests", async () => {
    const issued = await issueSdJwt(
      claims,
      { firstName: "Léa", organisation: "Atelier ∞" },
      privateKey,
    );
    const payload = JSON.parse(
      Buffer.from(issued.jwt.split(".")[1] as string, "base64url").toString(),
    );
    expect(payload._sd).toHaveLength(4); // two real, two decoys
    expect([...payload._sd].sort()).toEqual(payload._sd);
    for (const chosen of [[], ["firstName"], ["firstName", "organisation"]] as const) {
      const result = await verifySdJwt(present(issued, chosen), keyOf);
      expect(result.ok && result.pass.disclosed).toEqual(
        Object.fromEntries(
          chosen.map((f) => [f, f === "firstName" ? "Léa" : "Atelier ∞"] as const),
        ),
      );
    }
    const ok = await verifySdJwt(present(issued, []), keyOf);
    expect(ok.ok && ok.pass).toMatchObject({
      passId: "pass-1",
      issuerNodeId: "node-1",
      memberId: "member-1",
      homeSpaceId: "space-1",
      validUntil: claims.validUntil,
    });
  });

  it("refuses a key binding JWT (the pass binds no holder key), a presentation without its closing ~, an unknown kid", async () => {
    const issued = await issueSdJwt(claims, { email: "a@example.org" }, privateKey);
    const shown = present(issued, ["email"]);
    const code = async (text: string) => {
      const r = await verifySdJwt(text, keyOf);
      return r.ok ? "OK" : r.failure.code;
    };
    expect(await code(`${shown}eyJhbGciOiJFZERTQSJ9.e30.c2ln`)).toBe("PASS_INVALID");
    expect(await code(shown.replace(/~$/, ""))).toBe("PASS_INVALID");
    const other = await issueSdJwt({ ...claims, nodeId: "node-2" }, {}, privateKey);
    expect(await code(present(other, []))).toBe("PASS_UNKNOWN_ISSUER");
    expect(PASS_TYP).toBe("dc+sd-jwt");
  });
});
