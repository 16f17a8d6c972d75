import { randomUUID } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { exportJWK, generateKeyPair, importJWK, type JWK } from "jose";
import { z } from "zod";

/**
 * The hub's signing keys (Ed25519). They live in `<dataDir>/keys/signing-keys.json` (mode
 * 0600), or come from `HUB_SIGNING_KEYS`, so that `maillage hub token` can sign while the hub
 * runs without opening its database. The newest key signs; every listed key verifies, so a
 * rotation keeps older tokens valid until their key is removed.
 */
const StoredKey = z.object({
  kid: z.string().min(1),
  createdAt: z.string(),
  privateJwk: z.looseObject({ kty: z.literal("OKP"), crv: z.literal("Ed25519"), d: z.string() }),
});
const KeyFile = z.object({ keys: z.array(StoredKey).min(1) });
type KeyFile = z.infer<typeof KeyFile>;

export type SigningKey = {
  kid: string;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  publicJwk: JWK;
};

export type KeySource = { dataDir: string; signingKeysJson?: string | undefined };

export function keyFilePath(dataDir: string): string {
  return path.join(dataDir, "keys", "signing-keys.json");
}

async function newStoredKey(): Promise<KeyFile["keys"][number]> {
  const { privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
  const jwk = await exportJWK(privateKey);
  return {
    kid: randomUUID(),
    createdAt: new Date().toISOString(),
    privateJwk: { ...jwk, kty: "OKP", crv: "Ed25519", d: jwk.d ?? "" },
  };
}

async function writeKeyFileAtomically(file: string, content: KeyFile, replace: boolean) {
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  // Unique per call: two opens in one process (or one millisecond) must not share it.
  const tmp = `${file}.${randomUUID()}.tmp`;
  await fs.writeFile(tmp, `${JSON.stringify(content, null, 2)}\n`, { mode: 0o600, flag: "wx" });
  try {
    if (replace) await fs.rename(tmp, file);
    // link() fails if the file exists: two processes creating the first key cannot both win.
    else await fs.link(tmp, file);
  } finally {
    await fs.rm(tmp, { force: true });
  }
}

/**
 * Which version of the key file is on disk. The file is only ever replaced (rename/link of a
 * new inode), never written in place, so inode + mtime + size identify a version even when
 * two writes land within the clock's resolution.
 */
type FileVersion = string;

function versionOf(stat: { ino: number; mtimeMs: number; size: number }): FileVersion {
  return `${stat.ino}:${stat.mtimeMs}:${stat.size}`;
}

/** Reads the content and its version through one handle, so they always match. */
async function readVersioned(file: string): Promise<{ keyFile: KeyFile; version: FileVersion }> {
  const handle = await fs.open(file, "r");
  try {
    const version = versionOf(await handle.stat());
    const keyFile = KeyFile.parse(JSON.parse(await handle.readFile("utf8")));
    return { keyFile, version };
  } finally {
    await handle.close();
  }
}

async function readKeyFileVersioned(
  source: KeySource,
  create: boolean,
): Promise<{ keyFile: KeyFile; version: FileVersion | undefined }> {
  if (source.signingKeysJson) {
    return { keyFile: KeyFile.parse(JSON.parse(source.signingKeysJson)), version: undefined };
  }
  const file = keyFilePath(source.dataDir);
  try {
    return await readVersioned(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT" || !create) throw error;
    try {
      await writeKeyFileAtomically(file, { keys: [await newStoredKey()] }, false);
    } catch (linkError) {
      // Another opener created it first: everybody uses that one.
      if ((linkError as NodeJS.ErrnoException).code !== "EEXIST") throw linkError;
    }
    return readVersioned(file);
  }
}

async function readKeyFile(source: KeySource, create: boolean): Promise<KeyFile> {
  return (await readKeyFileVersioned(source, create)).keyFile;
}

async function toSigningKey(stored: KeyFile["keys"][number]): Promise<SigningKey> {
  const privateKey = (await importJWK(
    { ...stored.privateJwk, alg: "EdDSA" },
    "EdDSA",
  )) as CryptoKey;
  const { d: _private, ...publicPart } = stored.privateJwk;
  const publicJwk: JWK = { ...publicPart, kid: stored.kid, alg: "EdDSA", use: "sig" };
  const publicKey = (await importJWK(publicJwk, "EdDSA")) as CryptoKey;
  return { kid: stored.kid, privateKey, publicKey, publicJwk };
}

/** How often, at most, a running hub looks at its key file for a rotation or a removal. */
export const KEY_FILE_CHECK_MS = 1_000;

/**
 * The keys as currently on disk. `refresh()` re-reads the file when it changed, so a key
 * rotated by the CLI is picked up by a running hub without a restart, and a removed one stops
 * verifying within KEY_FILE_CHECK_MS: the file is looked at (one `stat`) at most that often,
 * never once per request. `generation` counts the loads, so that what was verified with the
 * keys can tell when they changed.
 */
export class KeyRing {
  private keys: SigningKey[] = [];
  private version: FileVersion | undefined;
  private reloading: Promise<void> | undefined;
  private checkedAt = 0;
  private checking: Promise<void> | undefined;
  /** Incremented each time the keys are (re)loaded. */
  generation = 0;

  private constructor(private readonly source: KeySource) {}

  static async open(source: KeySource, options: { create: boolean } = { create: true }) {
    const ring = new KeyRing(source);
    await ring.load(options.create);
    return ring;
  }

  private async load(create: boolean) {
    const { keyFile, version } = await readKeyFileVersioned(this.source, create);
    this.keys = await Promise.all(keyFile.keys.map(toSigningKey));
    this.version = version;
    this.checkedAt = Date.now();
    this.generation += 1;
  }

  /** Re-reads the key file now if it was replaced since the last read. */
  refresh(): Promise<void> {
    return this.look(true);
  }

  /**
   * What a verification calls: re-reads the key file if it was replaced, looking at it at most
   * once per KEY_FILE_CHECK_MS. A missing file keeps the current keys.
   */
  refreshIfDue(): Promise<void> {
    return this.look(false);
  }

  private async look(now: boolean): Promise<void> {
    if (this.source.signingKeysJson) return;
    if (!now && Date.now() - this.checkedAt < KEY_FILE_CHECK_MS) return;
    // Concurrent requests share one look and one reload.
    this.checking ??= this.check().finally(() => {
      this.checking = undefined;
    });
    await this.checking;
  }

  private async check(): Promise<void> {
    const stat = await fs.stat(keyFilePath(this.source.dataDir)).catch(() => undefined);
    this.checkedAt = Date.now();
    if (!stat || versionOf(stat) === this.version) return;
    this.reloading ??= this.load(false).finally(() => {
      this.reloading = undefined;
    });
    await this.reloading;
  }

  /** The key new tokens are signed with: the newest one. */
  get signer(): SigningKey {
    const key = this.keys.at(-1);
    if (!key) throw new Error("no signing key");
    return key;
  }

  find(kid: string | undefined): SigningKey | undefined {
    return this.keys.find((k) => k.kid === kid);
  }

  jwks(): { keys: JWK[] } {
    return { keys: this.keys.map((k) => k.publicJwk) };
  }
}

/**
 * Adds a new signing key to the existing key file (ENOENT when there is none: a mistyped data
 * dir must not get a new file); older keys keep verifying until removed. Returns the new kid.
 */
export async function rotateSigningKey(dataDir: string): Promise<string> {
  const file = await readKeyFile({ dataDir }, false);
  const key = await newStoredKey();
  await writeKeyFileAtomically(keyFilePath(dataDir), { keys: [...file.keys, key] }, true);
  return key.kid;
}

/** Removes a key: tokens signed with it stop verifying. The last key cannot be removed. */
export async function removeSigningKey(dataDir: string, kid: string): Promise<void> {
  const file = await readKeyFile({ dataDir }, false);
  const keys = file.keys.filter((k) => k.kid !== kid);
  if (keys.length === file.keys.length) throw new Error(`no key with kid ${kid}`);
  if (keys.length === 0) throw new Error("the last signing key cannot be removed; rotate first");
  await writeKeyFileAtomically(keyFilePath(dataDir), { keys }, true);
}

export async function listSigningKeys(
  dataDir: string,
): Promise<{ kid: string; createdAt: string }[]> {
  const file = await readKeyFile({ dataDir }, false);
  return file.keys.map(({ kid, createdAt }) => ({ kid, createdAt }));
}
