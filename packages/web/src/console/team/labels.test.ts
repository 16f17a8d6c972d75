import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { en, fr, lang } from "../../i18n/i18n.ts";
import {
  credentialTypeLabel,
  enrolmentStatusLabel,
  reasonCodeLabel,
  requestStatusLabel,
  topicLabel,
} from "./labels.ts";

const sdl = readFileSync(new URL("../../../../schema/agent.graphql", import.meta.url), "utf8");

/** The values of an enum of the agent's SDL. */
function enumValues(name: string): string[] {
  const body = new RegExp(`enum ${name} \\{([^}]*)\\}`).exec(sdl)?.[1] ?? "";
  return body
    .replace(/"""[\s\S]*?"""/g, "")
    .split(/\s+/)
    .filter((v) => /^[A-Z_]+$/.test(v));
}

describe("console state labels", () => {
  afterEach(() => {
    lang.value = "fr";
  });

  it("names a booking request's states in French, then English", () => {
    lang.value = "fr";
    expect(["PENDING", "CONFIRMED", "DECLINED", "CANCELLED"].map(requestStatusLabel)).toEqual([
      "En attente",
      "Confirmée",
      "Refusée",
      "Annulée",
    ]);
    lang.value = "en";
    expect(requestStatusLabel("DECLINED")).toBe("Declined");
  });

  it("names enrolment states and topics", () => {
    lang.value = "fr";
    expect(enrolmentStatusLabel("WAITLISTED")).toBe("Liste d'attente");
    expect(enrolmentStatusLabel("ATTENDED")).toBe("Présent");
    expect(enrolmentStatusLabel("NO_SHOW")).toBe("Absent");
    expect(topicLabel("WOODWORKING")).toBe("Travail du bois");
  });

  it("falls back to the code for a reason it does not know", () => {
    lang.value = "fr";
    expect(reasonCodeLabel("DECLINED_BY_OWNER")).toBe("refusée par le propriétaire");
    expect(reasonCodeLabel("SOMETHING_NEW")).toBe("SOMETHING_NEW");
    expect(reasonCodeLabel(null)).toBe("");
  });

  it("has a label in both languages for every value of the SDL's enums it shows", () => {
    const prefixes: Record<string, string> = {
      BookingRequestStatus: "console.requestStatus",
      BookingStatus: "console.bookingStatus",
      LoanStatus: "console.loanStatus",
      EnrolmentStatus: "console.enrolmentStatus",
      TrainingTopic: "topic",
      ResourceCategory: "console.category",
      SharingScope: "console.scope",
      ResourceStatus: "console.resourceStatus",
      CalendarFeedTarget: "console.feedTarget",
      BookingKind: "console.kind",
      PassStatus: "places.passStatus",
      PassRevocationReason: "places.revocation",
    };
    for (const [name, prefix] of Object.entries(prefixes)) {
      const values = enumValues(name);
      expect(values.length, name).toBeGreaterThan(0);
      for (const value of values) {
        const key = `${prefix}.${value}`;
        expect(fr, key).toHaveProperty([key]);
        expect(en, key).toHaveProperty([key]);
      }
    }
  });

  it("names a credential type by its label, else in words, never the bare slug", () => {
    expect(credentialTypeLabel("laser-safety")).toBe("Laser safety");
    expect(credentialTypeLabel("wood_lathe")).toBe("Wood lathe");
    expect(credentialTypeLabel("laser-safety", "Sécurité laser")).toBe("Sécurité laser");
  });
});
