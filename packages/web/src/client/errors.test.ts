import { afterEach, describe, expect, it } from "vitest";
import { ErrorCodes } from "../../../schema/src/errors.ts";
import { commonEn } from "../i18n/common.en.ts";
import { commonFr } from "../i18n/common.fr.ts";
import { lang } from "../i18n/i18n.ts";
import { ApiError, apiErrorOf, errorDetails, errorMessage } from "./errors.ts";

const API_MESSAGE = "endsAt: must be after startsAt";

describe("errorMessage", () => {
  afterEach(() => {
    lang.value = "fr";
  });

  it("has a French and an English message for every documented code", () => {
    for (const code of Object.keys(ErrorCodes)) {
      const key = `error.${code}`;
      expect((commonFr as Record<string, string>)[key], key).toBeTruthy();
      expect((commonEn as Record<string, string>)[key], key).toBeTruthy();
      for (const l of ["fr", "en"] as const) {
        lang.value = l;
        const text = errorMessage(new ApiError(code, API_MESSAGE));
        expect(text, `${l} ${code}`).not.toContain(API_MESSAGE);
        expect(text, `${l} ${code}`).not.toContain(code);
      }
    }
  });

  it("names the field of a BAD_USER_INPUT in French, never the API's message", () => {
    const error = apiErrorOf([
      { message: API_MESSAGE, extensions: { code: "BAD_USER_INPUT", field: "input.endsAt" } },
    ]);
    expect(errorMessage(error)).toBe("Donnée refusée : vérifiez le champ « fin ».");
    lang.value = "en";
    expect(errorMessage(error)).toBe("Input refused: check the field “end”.");
    lang.value = "fr";
    expect(errorMessage(new ApiError("BAD_USER_INPUT", "x", "lines[3].colour"))).toBe(
      "Donnée refusée : vérifiez le champ « lines[3].colour ».",
    );
    expect(errorMessage(new ApiError("BAD_USER_INPUT", API_MESSAGE))).not.toContain(API_MESSAGE);
  });

  it("uses reason and credential extensions", () => {
    const rule = apiErrorOf([
      { message: "x", extensions: { code: "BOOKING_RULE_VIOLATION", reason: "LEAD_TIME" } },
    ]);
    expect(errorMessage(rule)).toMatch(/à l'avance/);
    const credential = apiErrorOf([
      { message: "x", extensions: { code: "CREDENTIAL_REQUIRED", credential: "laser-safety" } },
    ]);
    expect(errorMessage(credential)).toContain("laser-safety");
  });

  it("says the server is unreachable, never Chromium's words", () => {
    for (const error of [
      new ApiError("NETWORK", "Failed to fetch"),
      new TypeError("Failed to fetch"),
    ]) {
      const text = errorMessage(error);
      expect(text).toBe("Le serveur ne répond pas : vérifiez la connexion puis réessayez.");
      expect(text).not.toContain("Failed");
    }
  });

  it("maps HTTP statuses, unknown codes and anything thrown to French sentences", () => {
    expect(errorMessage(new ApiError("HTTP_502", "Bad Gateway"))).toBe(
      "Le serveur a répondu par une erreur (HTTP 502). Réessayez dans un instant.",
    );
    expect(errorMessage(new ApiError("HTTP_401", "Unauthorized"))).toMatch(/session a expiré/);
    expect(errorMessage(new ApiError("SOMETHING_NEW", "Some English"))).toBe(
      "Une erreur inattendue est survenue (code SOMETHING_NEW).",
    );
    expect(errorMessage(new Error("Error: no export"))).toBe(
      "Une erreur inattendue est survenue. Réessayez dans un instant.",
    );
    expect(errorMessage("a string")).not.toContain("a string");
  });

  it("keeps the code and raw message for support in errorDetails", () => {
    expect(errorDetails(new ApiError("SLOT_TAKEN", "overlap"))).toBe(
      "Détail pour l'assistance : SLOT_TAKEN — overlap",
    );
  });
});
