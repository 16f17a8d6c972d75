import fs from "node:fs/promises";
import path from "node:path";
import { type CryptoKey, exportJWK, generateKeyPair, importJWK, type JWK } from "jose";
import { z } from "zod";
import { keyFilePath, writeFileAtomically } from "./files.ts";

/**
 * The node's Ed25519 key pair. The private half lives in `<dataDir>/keys/node-key.json`
 * (file mode 0600, directory 0700) and never leaves the machine; the hub stored the public
 * half at enrolment and verifies the node's tokens with it.
 */
export type NodeKey = {
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  /** `{ kty: "OKP", crv: "Ed25519", x }`: what enrolNode sends. */
  publicJwk: { kty: "OKP"; crv: "Ed25519"; x: string };
};

const PrivateJwk = z.object({
  kty: z.literal("OKP"),
  crv: z.literal("Ed25519"),
  x: z.string().min(1),
  d: z.string().min(1),
});

const KeyFile = z.object({
  /** The node id, once enrolled; the `kid` of the node's tokens. */
  kid: z.string().min(1),
  createdAt: z.string(),
  privateJwk: PrivateJwk,
});
type KeyFile = z.infer<typeof KeyFile>;

/** A new key pair, in memory only: init writes it once the hub accepted it. */
export async function generateNodeKey(): Promise<{
  key: NodeKey;
  privateJwk: KeyFile["privateJwk"];
}> {
  const { privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
  const jwk = await exportJWK(privateKey);
  const privateJwk = PrivateJwk.parse({ kty: jwk.kty, crv: jwk.crv, x: jwk.x, d: jwk.d });
  return { key: await toNodeKey(privateJwk), privateJwk };
}

async function toNodeKey(privateJwk: KeyFile["privateJwk"]): Promise<NodeKey> {
  const privateKey = (await importJWK({ ...privateJwk, alg: "EdDSA" }, "EdDSA")) as CryptoKey;
  const publicJwk = { kty: "OKP", crv: "Ed25519", x: privateJwk.x } as const;
  const publicKey = (await importJWK(
    { ...publicJwk, alg: "EdDSA" } satisfies JWK,
    "EdDSA",
  )) as CryptoKey;
  return { privateKey, publicKey, publicJwk };
}

export async function writeNodeKey(
  dataDir: string,
  kid: string,
  privateJwk: KeyFile["privateJwk"],
): Promise<void> {
  const file = keyFilePath(dataDir);
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  // mkdir leaves an existing directory's mode alone: make sure it is private.
  await fs.chmod(path.dirname(file), 0o700);
  const content: KeyFile = { kid, createdAt: new Date().toISOString(), privateJwk };
  await writeFileAtomically(file, `${JSON.stringify(content, null, 2)}\n`, {
    mode: 0o600,
    replace: true,
  });
}

/** Reads the key file; undefined when there is none. */
export async function readNodeKey(dataDir: string): Promise<NodeKey | undefined> {
  let text: string;
  try {
    text = await fs.readFile(keyFilePath(dataDir), "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  return toNodeKey(KeyFile.parse(JSON.parse(text)).privateJwk);
}
