/** The file name of a credential's export: open-badge-<type>-<id>.json, safe characters only. */
export function badgeFileName(type: string, id: string): string {
  const safe = (s: string) => s.replace(/[^A-Za-z0-9_-]+/g, "-").replace(/^-+|-+$/g, "");
  return `open-badge-${safe(type) || "credential"}-${safe(id).slice(0, 26)}.json`;
}

/**
 * The downloaded file: the signed Open Badges 3.0 credential decoded (JSON), with the compact
 * VC-JWT exactly as its issuer signed it (what a verifier checks).
 */
export function badgeFileContent(exported: { credential: string; vcJwt: string }): string {
  let credential: unknown = exported.credential;
  try {
    credential = JSON.parse(exported.credential);
  } catch {
    // kept as text
  }
  return `${JSON.stringify({ credential, vcJwt: exported.vcJwt }, null, 2)}\n`;
}
