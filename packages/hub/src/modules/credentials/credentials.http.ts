import type { SqlStore } from "@maillage/storage";
import type { Plugin } from "graphql-yoga";
import { activeNodeKeys, statusListOf } from "./credentials.repository.ts";

/**
 * What the hub publishes for portable credentials (public: what anyone verifies an exported
 * Open Badges credential with), answered before GraphQL, in process and on the socket alike:
 * - `GET /.well-known/nodes.jwks.json`: every ACTIVE node's Ed25519 key as a JWKS (RFC 7517
 *   §5, RFC 8037), `kid` = the node id (the `kid` of what the node signs);
 * - `GET /credentials/status/<nodeId>`: that node's latest BitstringStatusListCredential, the
 *   VC-JWT it signed (`application/vc+jwt`), 404 when it has published none.
 * Every agent serves the same two paths from its replicas, offline.
 */
export const NODES_JWKS_PATH = "/.well-known/nodes.jwks.json";
const STATUS_LIST_PATH = /^\/credentials\/status\/([0-9A-Za-z_-]{1,64})$/;
const PLAIN = { "content-type": "text/plain; charset=utf-8", "x-content-type-options": "nosniff" };

export function usePortableCredentialRoutes(store: SqlStore): Plugin {
  return {
    async onRequest({ request, url, endResponse }) {
      const match = STATUS_LIST_PATH.exec(url.pathname);
      if (url.pathname !== NODES_JWKS_PATH && !match) return;
      if (request.method !== "GET" && request.method !== "HEAD") {
        return endResponse(
          new Response("Method not allowed\n", {
            status: 405,
            headers: { ...PLAIN, allow: "GET, HEAD" },
          }),
        );
      }
      const body = (text: string) => (request.method === "HEAD" ? null : text);
      if (match?.[1]) {
        const vc = await statusListOf(store, match[1]);
        return endResponse(
          vc === undefined
            ? new Response(body("Not found\n"), { status: 404, headers: PLAIN })
            : new Response(body(vc), {
                status: 200,
                headers: {
                  "content-type": "application/vc+jwt",
                  "cache-control": "public, max-age=60",
                  "access-control-allow-origin": "*",
                },
              }),
        );
      }
      const keys = (await activeNodeKeys(store)).map((n) => ({
        kty: "OKP",
        crv: "Ed25519",
        x: n.public_key.x,
        kid: n.id,
        alg: "EdDSA",
        use: "sig",
      }));
      return endResponse(
        new Response(body(JSON.stringify({ keys })), {
          status: 200,
          headers: {
            "content-type": "application/jwk-set+json",
            "cache-control": "public, max-age=300",
            "access-control-allow-origin": "*",
          },
        }),
      );
    },
  };
}
