import type { PortableCredentialService } from "./portable-credentials.service.ts";

/**
 * What an agent publishes of portable credentials, offline, at the same paths as the hub:
 * - `GET /.well-known/nodes.jwks.json`: the network's node keys (JWKS, `kid` = node id);
 * - `GET /credentials/status/<nodeId>`: that node's latest BitstringStatusListCredential as a
 *   VC-JWT (`application/vc+jwt`, VC-JOSE-COSE's media type), 404 when none is known here.
 * Both are public (they are what anyone verifies an exported credential with). Undefined for
 * any other path, so that the caller goes on.
 */
export const NODES_JWKS_PATH = "/.well-known/nodes.jwks.json";
const STATUS_LIST_PATH = /^\/credentials\/status\/([0-9A-Za-z_-]{1,64})$/;

const PLAIN = { "content-type": "text/plain; charset=utf-8", "x-content-type-options": "nosniff" };

export async function handleCredentialsRequest(
  request: Request,
  deps: { portable: Pick<PortableCredentialService, "jwks" | "statusList"> },
): Promise<Response | undefined> {
  const { pathname } = new URL(request.url);
  const match = STATUS_LIST_PATH.exec(pathname);
  if (pathname !== NODES_JWKS_PATH && !match) return undefined;
  if (request.method !== "GET" && request.method !== "HEAD") {
    return new Response("Method not allowed\n", {
      status: 405,
      headers: { ...PLAIN, allow: "GET, HEAD" },
    });
  }
  const body = (text: string) => (request.method === "HEAD" ? null : text);
  if (match?.[1]) {
    const vc = await deps.portable.statusList(match[1]);
    if (vc === undefined) return new Response(body("Not found\n"), { status: 404, headers: PLAIN });
    return new Response(body(vc), {
      status: 200,
      headers: {
        "content-type": "application/vc+jwt",
        "cache-control": "public, max-age=60",
        "access-control-allow-origin": "*",
      },
    });
  }
  return new Response(body(JSON.stringify(await deps.portable.jwks())), {
    status: 200,
    headers: {
      "content-type": "application/jwk-set+json",
      "cache-control": "public, max-age=300",
      "access-control-allow-origin": "*",
    },
  });
}
