import { describe, expect, it } from "vitest";
import { openBadgeCredential } from "../credentials/open-badge.ts";
import { csvField } from "./training.service.ts";

/** What trainings say to people (French) and write into files people open. */
describe("training texts", () => {
  const facts = {
    credentialId: "01JCRED0000000000000000000",
    issuer: { nodeId: "01JNODE0000000000000000000", name: "La Fabrique des Boutières" },
    memberId: "01JMEMBER00000000000000000",
    type: "laser-safety",
    issuedAt: new Date("2026-12-15T10:00:00Z"),
    expiresAt: null,
    trainingId: "01JTRAINING000000000000000",
    identityHash: null,
    achievement: { name: "Découpe laser : sécurité", description: null },
    status: null,
  };
  const criteriaOf = (
    f: typeof facts | (Omit<typeof facts, "trainingId"> & { trainingId: null }),
  ) =>
    (
      openBadgeCredential(f).credentialSubject as {
        achievement: { criteria: { id?: string; narrative: string } };
      }
    ).achievement.criteria;

  it("says in French which training and which place a credential's attendance was at", () => {
    expect(criteriaOf(facts)).toEqual({
      id: "urn:maillage:training:01JTRAINING000000000000000",
      narrative:
        "A suivi la formation « Découpe laser : sécurité » organisée par La Fabrique des Boutières, présence constatée par l’organisateur.",
    });
    // No raw id nor status in what a person reads.
    expect(criteriaOf(facts).narrative).not.toMatch(/urn:|ATTENDED|01J/);
    expect(criteriaOf({ ...facts, trainingId: null })).toEqual({
      narrative: "Délivré par l’équipe de La Fabrique des Boutières.",
    });
  });

  it("neutralises CSV cells a spreadsheet would read as formulas", () => {
    expect(["=1+2", "+33 6", "-2", "@SUM(A1)", "\tx", "\rx", "Laser", "a=b"].map(csvField)).toEqual(
      ["'=1+2", "'+33 6", "'-2", "'@SUM(A1)", "'\tx", '"\'\rx"', "Laser", "a=b"],
    );
    expect(csvField('=HYPERLINK("http://x","y")')).toBe('"\'=HYPERLINK(""http://x"",""y"")"');
    // Numbers are figures, written as they are; null is an empty cell.
    expect([csvField(-1), csvField(0.5), csvField(null)]).toEqual(["-1", "0.5", ""]);
  });
});
