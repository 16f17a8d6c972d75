import fs from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hubMigrations } from "../../hub/src/migrate.ts";
import { seedPgliteStore } from "../../storage/src/testing.ts";
import type { HubLifecycle } from "./context.ts";
import { main } from "./main.ts";
import { capturedIo } from "./test-support.ts";

// `hub token --fabrique` and `hub report` against a real running hub (embedded PGlite), found
// through the run file in its data dir as `maillage hub start` writes it.

let dataDir: string;
let hub: HubLifecycle;
let fabriqueId: string;
let satelliteId: string;

beforeAll(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "maillage-running-hub-"));
  await seedPgliteStore(dataDir, await hubMigrations());
  const { createHub, loadHubConfig } = await import("@maillage/hub");
  const client = await import("@maillage/hub/client");
  const config = loadHubConfig({}, { dataDir, port: 0, logLevel: "silent" });
  hub = await createHub(config);
  const { url } = await hub.start();
  await client.writeHubRunFile(dataDir, url);
  const token = await client.signWithHubKeys(config, { role: "NATIONAL" }, "5m");
  const gql = async (
    query: string,
    variables: Record<string, unknown> = {},
    bearer: string = token,
  ) => {
    const response = await fetch(`${url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${bearer}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as { data?: Record<string, { id: string }> };
    if (!body.data || Object.values(body.data).includes(null as never))
      throw new Error(JSON.stringify(body));
    return body.data;
  };
  const created = await gql(
    `mutation { createFabrique(input: { name: "La Fabrique du Vivarais", communeCode: "07186" }) { id } }`,
  );
  fabriqueId = String(created.createFabrique?.id);
  const satellite = await gql(
    `mutation($f: ID!) { createSatellite(fabriqueId: $f, input: { name: "L'Atelier", communeCode: "07064" }) { id } }`,
    { f: fabriqueId },
    // A fabrique's team registers its satellites.
    await client.signWithHubKeys(config, { role: "FABRIQUE_ADMIN", fabriqueId }, "5m"),
  );
  satelliteId = String(satellite.createSatellite?.id);
});
afterAll(async () => {
  await hub?.stop();
  await fs.rm(dataDir, { recursive: true, force: true });
});

async function token(fabrique: string) {
  const io = capturedIo({ PORT: "1" });
  const argv = ["hub", "token", "--role", "FABRIQUE_ADMIN", "--fabrique", fabrique];
  const code = await main([...argv, "--data-dir", dataDir], io.io);
  return { code, stdout: io.stdout(), stderr: io.stderr() };
}

describe("hub token --fabrique, with the hub running", () => {
  it("signs for a fabrique the hub knows, without a warning", async () => {
    const result = await token(fabriqueId);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(decodeJwt(result.stdout.trim())).toMatchObject({ role: "FABRIQUE_ADMIN", fabriqueId });
  });

  it("refuses the base64 Relay global form: ids have one form, the raw one", async () => {
    const result = await token(Buffer.from(`Space:${fabriqueId}`).toString("base64"));
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
  });

  it("refuses a satellite (NOT_A_FABRIQUE) and an id the hub does not know (NOT_FOUND)", async () => {
    const satellite = await token(satelliteId);
    expect(satellite.code).toBe(1);
    expect(satellite.stdout).toBe("");
    expect(satellite.stderr).toMatch(/^maillage: NOT_A_FABRIQUE: [^\n]+L'Atelier[^\n]+\n$/);

    const unknown = await token("01JC4Z8Q6X1V9T2B3N4M5P6R7S");
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^maillage: NOT_FOUND: [^\n]+\n$/);
  });
});

describe("hub report, with the hub running", () => {
  it("finds the hub through its data dir (not PORT), and prints the CSV", async () => {
    const io = capturedIo({ PORT: "1" });
    expect(await main(["hub", "report", "--data-dir", dataDir], io.io)).toBe(0);
    expect(io.stderr()).toBe("");
    const [header, ...rows] = io.stdout().trimEnd().split("\n");
    expect(header).toContain(",nodes_online,nodes_stale,nodes_silent,");
    expect(header).toContain(
      ",shared_resources,bookings,booked_hours,cross_node_bookings,loans,utilisation",
    );
    expect(rows.at(-1)).toMatch(/^,Total,/);
  });
});

describe("hub login-link, with the hub running", () => {
  async function loginLink(args: string[]) {
    const io = capturedIo({ PORT: "1" });
    const code = await main(["hub", "login-link", ...args, "--data-dir", dataDir], io.io);
    return { code, stdout: io.stdout(), stderr: io.stderr() };
  }

  it("prints the running hub's /login?t= link, which opens one session", async () => {
    const run = await loginLink(["--role", "FABRIQUE_ADMIN", "--fabrique", fabriqueId]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const url = run.stdout.trim();
    const base = (await import("@maillage/hub/client")).readHubRun;
    const hubUrl = (await base(dataDir))?.url;
    expect(url.startsWith(`${hubUrl}/login?t=`)).toBe(true);
    // Opening the link shows its page; its "Se connecter" button POSTs the link.
    const page = await fetch(url, { redirect: "manual" });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("Se connecter");
    const press = () =>
      fetch(`${hubUrl}/login`, {
        method: "POST",
        redirect: "manual",
        headers: { "content-type": "application/x-www-form-urlencoded", origin: String(hubUrl) },
        body: new URLSearchParams({ t: new URL(url).searchParams.get("t") ?? "" }).toString(),
      });
    const first = await press();
    expect(first.status).toBe(303);
    const cookie = (first.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
    const session = (await (
      await fetch(`${hubUrl}/auth/session`, { headers: { cookie } })
    ).json()) as Record<string, unknown>;
    expect(session).toMatchObject({ server: "hub", role: "FABRIQUE_ADMIN", fabriqueId });
    expect((await press()).status).toBe(400);
    expect((await fetch(url, { redirect: "manual" })).status).toBe(400);
  });

  it("--fabrique is checked at the running hub, never at --url (no NATIONAL token sent there)", async () => {
    const seen: string[] = [];
    const other = http.createServer((req, res) => {
      seen.push(`${req.method} ${req.url} ${req.headers.authorization ?? ""}`);
      res.writeHead(500).end();
    });
    await new Promise<void>((resolve) => other.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = other.address() as AddressInfo;
      const run = await loginLink([
        "--role",
        "FABRIQUE_ADMIN",
        "--fabrique",
        fabriqueId,
        "--url",
        `http://127.0.0.1:${port}`,
      ]);
      expect(run.code).toBe(0);
      expect(run.stderr).toBe("");
      expect(run.stdout).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${port}/login\\?t=`));
      expect(seen).toEqual([]);
    } finally {
      await new Promise<void>((resolve) => other.close(() => resolve()));
    }
  });

  it("takes --url, and refuses a link TTL over 24h", async () => {
    const run = await loginLink(["--role", "NATIONAL", "--url", "https://maillage.example/"]);
    expect(run.stdout).toMatch(/^https:\/\/maillage\.example\/login\?t=[\w-]+\.[\w-]+\.[\w-]+\n$/);
    const tooLong = await loginLink(["--role", "NATIONAL", "--ttl", "2d"]);
    expect(tooLong.code).toBe(2);
    expect(tooLong.stderr).toContain("--ttl");
  });
});
