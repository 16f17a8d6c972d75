import { describe, expect, it } from "vitest";
import { badgeFileContent, badgeFileName } from "./badge.ts";

describe("Open Badges 3.0 export file", () => {
  it("names the file after the credential, safe characters only", () => {
    expect(badgeFileName("laser-safety", "01M97D01WXKKSRZEPG8ARVG56M")).toBe(
      "open-badge-laser-safety-01M97D01WXKKSRZEPG8ARVG56M.json",
    );
    expect(badgeFileName("../x y", "a/b")).toBe("open-badge-x-y-a-b.json");
    expect(badgeFileName("", "id")).toBe("open-badge-credential-id.json");
  });

  it("keeps the signed JWT as is and the credential decoded", () => {
    const text = badgeFileContent({
      credential: '{"type":["VerifiableCredential","OpenBadgeCredential"]}',
      vcJwt: "a.b.c",
    });
    expect(JSON.parse(text)).toEqual({
      credential: { type: ["VerifiableCredential", "OpenBadgeCredential"] },
      vcJwt: "a.b.c",
    });
    expect(JSON.parse(badgeFileContent({ credential: "not json", vcJwt: "x" })).credential).toBe(
      "not json",
    );
  });
});
