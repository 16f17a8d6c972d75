/**
 * The hub's light entry, `@maillage/hub/client`: what a program needs to work with an existing
 * hub without running one (`maillage hub token`, `hub keys`, `hub report`): its configuration,
 * its key file, tokens signed with its keys, its run file. It loads neither the server nor
 * Prisma nor PGlite, so such a command starts in a fraction of a second. The full hub is
 * `@maillage/hub`.
 */
import type { HubTokenRole } from "@maillage/schema";
import { KeyRing } from "./auth/keys.ts";
import { type LoginLinkRequest, signHubLoginLinkToken } from "./auth/login-links.ts";
import { signHubToken } from "./auth/tokens.ts";
import type { HubConfig } from "./env.ts";

export { keyFilePath, listSigningKeys, removeSigningKey, rotateSigningKey } from "./auth/keys.ts";
export { ConfigError, type HubConfig, loadHubConfig } from "./env.ts";
export {
  type HubRun,
  hubRunFilePath,
  readHubRun,
  removeHubRunFile,
  writeHubRunFile,
} from "./run-file.ts";

/**
 * Signs a token with the keys of an existing hub: `HUB_SIGNING_KEYS`, else its key file. Unlike
 * `issueHubToken` it never creates a key file: without one it fails with ENOENT.
 */
export async function signWithHubKeys(
  config: HubConfig,
  claims: { role: HubTokenRole; fabriqueId?: string | undefined },
  ttl: string,
): Promise<string> {
  const keys = await KeyRing.open(config, { create: false });
  return signHubToken(keys, config, claims, ttl);
}

/**
 * A one-time sign-in link of an existing hub (`maillage hub login-link`): `<baseUrl>/login?t=…`,
 * signed with its keys (never creating a key file). It opens one session, of `sessionTtl`.
 */
export async function signHubLoginLink(
  config: HubConfig,
  request: LoginLinkRequest,
  baseUrl: string,
): Promise<string> {
  const keys = await KeyRing.open(config, { create: false });
  const token = await signHubLoginLinkToken(keys, config, request);
  return `${baseUrl.replace(/\/+$/, "")}/login?t=${token}`;
}
