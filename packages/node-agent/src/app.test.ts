import fs from "node:fs/promises";
import { generateKeyPair } from "jose";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { signNodeToken } from "./identity/tokens.ts";
import { outboxRepository } from "./outbox/outbox.repository.ts";
import { fetchAgentStatus, runFilePath } from "./sync/remote-status.ts";
import { craftToken, startTestAgent, type TestAgent } from "./testing/fixture.ts";

/**
 * The agent's API: probes, /sync/status, bearer tokens (who may call, and every way a token
 * is refused), and what each role may do. One embedded agent for the file.
 */
let t: TestAgent;
let admin: string;

beforeAll(async () => {
  t = await startTestAgent("pglite", { decideIntervalMs: 20 });
  admin = await t.admin();
});
afterAll(() => t?.close());
beforeEach(() => t.reset());

const SPACE =
  "id kind name status communeCode commune { name rural } services owned fabriqueId openingHours { day opens closes }";

async function createSatellite(name: string, communeCode = "07186") {
  const r = await t.gql<{ createSatellite: { id: string; owned: boolean; fabriqueId: string } }>(
    `mutation($input: CreateSpaceInput!) { createSatellite(input: $input) { ${SPACE} } }`,
    { input: { name, communeCode, services: ["Fablab", "fablab", "Café"] } },
    admin,
  );
  expect(r.errors).toBeUndefined();
  return r.data?.createSatellite as { id: string; owned: boolean; fabriqueId: string };
}

async function registerMember(homeSpaceId: string, token = admin) {
  return t.gql<{ registerMember: { id: string } }>(
    `mutation($home: ID!) { registerMember(homeSpaceId: $home, displayName: "Camille Roux",
       email: "Camille@Example.org", phone: "+33 4 75 00 00 01") { id homeSpaceId displayName email } }`,
    { home: homeSpaceId },
    token,
  );
}

const outboxSize = async () => (await outboxRepository.list(t.agent.store)).length;
const codes = (r: { errors?: { extensions?: { code?: string } }[] }) =>
  r.errors?.map((e) => e.extensions?.code);

describe("endpoints", () => {
  it("answers /health and /ready in process", async () => {
    const health = await t.agent.fetch("http://agent.test/health");
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: "ok" });
    const ready = await t.agent.fetch("http://agent.test/ready");
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({
      status: "ready",
      nodeId: t.credentials.identity.nodeId,
      pendingMigrations: [],
    });
  });

  it("serves /sync/status to the fabrique's team only", async () => {
    const anonymous = await t.agent.fetch("http://agent.test/sync/status");
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({
      errors: [{ extensions: { code: "UNAUTHENTICATED" } }],
    });
    const satellite = await t.token({ role: "SATELLITE", spaceId: "S1" });
    const forbidden = await t.agent.fetch("http://agent.test/sync/status", {
      headers: { authorization: `Bearer ${satellite}` },
    });
    expect(forbidden.status).toBe(403);
    expect(await forbidden.json()).toMatchObject({
      errors: [{ extensions: { code: "FORBIDDEN" } }],
    });
    const ok = await t.agent.fetch("http://agent.test/sync/status", {
      headers: { authorization: `Bearer ${admin}` },
    });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({
      nodeId: t.credentials.identity.nodeId,
      outboxPending: 0,
      pullCursor: "0",
      poisoned: null,
      lagSeconds: 0,
    });
  });
});

describe("bearer tokens", () => {
  async function refused(token: string) {
    const r = await t.gql("{ satellites { id } }", {}, token);
    expect(r.status).toBe(401);
    expect(codes(r)).toEqual(["UNAUTHENTICATED"]);
  }

  it("accepts the agent's own tokens", async () => {
    const r = await t.gql("{ satellites { id } }", {}, admin);
    expect(r.errors).toBeUndefined();
    expect(r.data).toEqual({ satellites: [] });
  });

  it("refuses a token whose signature was tampered with", async () => {
    const [header, payload, signature] = admin.split(".") as [string, string, string];
    const forgedPayload = Buffer.from(
      JSON.stringify({
        ...JSON.parse(Buffer.from(payload, "base64url").toString()),
        role: "FABRIQUE_ADMIN",
        sub: "x",
      }),
    ).toString("base64url");
    await refused(`${header}.${forgedPayload}.${signature}`);
    await refused(`${header}.${payload}.${signature.slice(0, -4)}AAAA`);
  });

  it("refuses an expired token", async () => {
    const { identity, key } = t.credentials;
    const expired = await craftToken(
      key.privateKey,
      { role: "FABRIQUE_ADMIN", fabriqueId: identity.fabriqueId, sub: "team" },
      {
        kid: identity.nodeId,
        iss: identity.nodeId,
        aud: `maillage-agent:${identity.nodeId}`,
        exp: Math.floor(Date.now() / 1000) - 10,
      },
    );
    await refused(expired);
  });

  it("refuses a token signed by another key, with the right kid, iss and aud", async () => {
    const { identity } = t.credentials;
    const { privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519" });
    await refused(
      await craftToken(
        privateKey,
        { role: "FABRIQUE_ADMIN", fabriqueId: identity.fabriqueId, sub: "team" },
        {
          kid: identity.nodeId,
          iss: identity.nodeId,
          aud: `maillage-agent:${identity.nodeId}`,
          exp: "1h",
        },
      ),
    );
  });

  it("refuses the node's own hub token (hub audience, role NODE)", async () => {
    await refused(await signNodeToken(t.credentials.identity, t.credentials.key));
  });

  it("refuses a NODE role, a missing exp or iss, another fabrique, HS256 and a malformed header", async () => {
    const { identity, key } = t.credentials;
    const aud = `maillage-agent:${identity.nodeId}`;
    const base = { kid: identity.nodeId, iss: identity.nodeId, aud, exp: "1h" };
    const claims = { role: "FABRIQUE_ADMIN", fabriqueId: identity.fabriqueId, sub: "team" };
    await refused(await craftToken(key.privateKey, { ...claims, role: "NODE" }, base));
    await refused(await craftToken(key.privateKey, claims, { ...base, exp: undefined }));
    await refused(await craftToken(key.privateKey, claims, { ...base, iss: undefined }));
    await refused(await craftToken(key.privateKey, { ...claims, fabriqueId: "another" }, base));
    const secret = new TextEncoder().encode("a-shared-secret-of-32-characters!!");
    await refused(await craftToken(secret as never, claims, { ...base, alg: "HS256" }));
    const r = await t.agent.fetch("http://agent.test/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: admin },
      body: JSON.stringify({ query: "{ satellites { id } }" }),
    });
    expect(r.status).toBe(401);
  });

  it("answers UNAUTHENTICATED on every field asked without a token", async () => {
    for (const query of [
      "{ satellites { id } }",
      '{ space(id: "x") { id } }',
      '{ members(spaceId: "x") { id } }',
      '{ member(id: "x") { id } }',
      "{ syncStatus { nodeId } }",
      "{ hubConnection { hubReachable } }",
      'mutation { createSatellite(input: { name: "Xy", communeCode: "07186" }) { id } }',
      'mutation { eraseMember(id: "x") }',
    ]) {
      const r = await t.gql(query);
      expect(codes(r), query).toEqual(["UNAUTHENTICATED"]);
    }
    expect(await outboxSize()).toBe(0);
  });
});

describe("roles", () => {
  it("gives a satellite's fabrique and its commune's department and region, as the hub does", async () => {
    // The fabrique's own record comes from the hub's log, like every space owned elsewhere.
    t.hub.appendLog({
      originNodeId: null,
      entity: "SPACE",
      entityId: t.fabrique.id,
      op: "UPSERT",
      payload: {
        kind: "FABRIQUE",
        fabriqueId: null,
        name: t.fabrique.name,
        communeCode: "07186",
        services: [],
        openingHours: [],
        status: "OPEN",
      },
      targetNodeId: null,
    });
    expect((await t.agent.sync.pullNow()).kind).toBe("caught-up");
    const s = await createSatellite("Le Bercail");
    const read = (token: string) =>
      t.gql<{ space: Record<string, unknown> }>(
        `query($id: ID!) { space(id: $id) { fabriqueId fabrique { id kind }
           commune { code department { code name region { code } } region { code name } } } }`,
        { id: s.id },
        token,
      );
    expect((await read(admin)).data?.space).toEqual({
      fabriqueId: t.fabrique.id,
      fabrique: { id: t.fabrique.id, kind: "FABRIQUE" },
      commune: {
        code: "07186",
        department: { code: "07", name: "Ardèche", region: { code: "84" } },
        region: { code: "84", name: "Auvergne-Rhône-Alpes" },
      },
    });
    // A satellite's token sees its own space, not its fabrique's record.
    const satellite = await t.token({ role: "SATELLITE", spaceId: s.id });
    expect((await read(satellite)).data?.space).toMatchObject({
      fabriqueId: t.fabrique.id,
      fabrique: null,
    });
  });

  it("lets the fabrique's team register, update and close satellites, each change in the outbox", async () => {
    const s = await createSatellite("Tiers-lieu de Désaignes");
    expect(s).toMatchObject({
      owned: true,
      fabriqueId: t.fabrique.id,
      commune: { name: "Privas", rural: false },
    });
    const updated = await t.gql(
      `mutation($id: ID!) { updateSatellite(id: $id, input: { openingHours: [{ day: 3, opens: "09:00", closes: "12:30" }] }) { ${SPACE} } }`,
      { id: s.id },
      admin,
    );
    expect(updated.errors).toBeUndefined();
    const closed = await t.gql<{ closeSatellite: { status: string } }>(
      "mutation($id: ID!) { closeSatellite(id: $id) { status } }",
      { id: s.id },
      admin,
    );
    expect(closed.data?.closeSatellite.status).toBe("CLOSED");
    const events = await outboxRepository.list(t.agent.store);
    expect(events.map((e) => [e.seq, e.entity, e.entityId, e.op])).toEqual([
      [1, "SPACE", s.id, "UPSERT"],
      [2, "SPACE", s.id, "UPSERT"],
      [3, "SPACE", s.id, "UPSERT"],
    ]);
    expect(events[0]?.payload).toMatchObject({ services: ["fablab", "café"], status: "OPEN" });
    expect(events[2]?.payload).toMatchObject({ status: "CLOSED" });
  });

  it("refuses bad input, duplicate names and changes to closed spaces, writing nothing", async () => {
    const s = await createSatellite("La Fabrique à Cheylard");
    const before = await outboxSize();
    const attempts: [string, Record<string, unknown>, string][] = [
      [
        "mutation($input: CreateSpaceInput!) { createSatellite(input: $input) { id } }",
        { input: { name: "Ok name", communeCode: "7186" } },
        "BAD_USER_INPUT",
      ],
      [
        "mutation($input: CreateSpaceInput!) { createSatellite(input: $input) { id } }",
        { input: { name: "x", communeCode: "07186" } },
        "BAD_USER_INPUT",
      ],
      [
        "mutation($input: CreateSpaceInput!) { createSatellite(input: $input) { id } }",
        { input: { name: "la fabrique à CHEYLARD", communeCode: "07186" } },
        "DUPLICATE_NAME",
      ],
      [
        "mutation($input: CreateSpaceInput!) { createSatellite(input: $input) { id } }",
        {
          input: {
            name: "Horaires",
            communeCode: "07186",
            openingHours: [{ day: 1, opens: "18:00", closes: "09:00" }],
          },
        },
        "BAD_USER_INPUT",
      ],
      [
        "mutation($input: CreateSpaceInput!) { createSatellite(input: $input) { id } }",
        { input: { name: "Nulle part", communeCode: "99999" } },
        "UNKNOWN_COMMUNE",
      ],
      [
        'mutation($id: ID!) { updateSatellite(id: $id, input: { communeCode: "99999" }) { id } }',
        { id: s.id },
        "UNKNOWN_COMMUNE",
      ],
      [
        'mutation($id: ID!) { updateSatellite(id: $id, input: { name: "x" }) { id } }',
        { id: s.id },
        "BAD_USER_INPUT",
      ],
      [
        'mutation($id: ID!) { updateSatellite(id: $id, input: { name: "Y" }) { id } }',
        { id: "01NOSUCHSPACE0000000000000" },
        "BAD_USER_INPUT",
      ],
      [
        'mutation($id: ID!) { updateSatellite(id: $id, input: { name: "Yves" }) { id } }',
        { id: "01NOSUCHSPACE0000000000000" },
        "NOT_FOUND",
      ],
      [
        'mutation { registerMember(homeSpaceId: "nowhere", displayName: "A B") { id } }',
        {},
        "NOT_FOUND",
      ],
      [
        'mutation($id: ID!) { registerMember(homeSpaceId: $id, displayName: "A B", email: "not-an-email") { id } }',
        { id: s.id },
        "BAD_USER_INPUT",
      ],
    ];
    for (const [query, variables, code] of attempts) {
      const r = await t.gql(query, variables, admin);
      expect(codes(r), JSON.stringify(variables)).toEqual([code]);
    }
    expect(await outboxSize()).toBe(before);

    await t.gql("mutation($id: ID!) { closeSatellite(id: $id) { id } }", { id: s.id }, admin);
    const closedCount = await outboxSize();
    for (const query of [
      'mutation($id: ID!) { updateSatellite(id: $id, input: { name: "Réouverture" }) { id } }',
      "mutation($id: ID!) { closeSatellite(id: $id) { id } }",
      'mutation($id: ID!) { registerMember(homeSpaceId: $id, displayName: "A B") { id } }',
    ]) {
      expect(codes(await t.gql(query, { id: s.id }, admin)), query).toEqual(["SPACE_CLOSED"]);
    }
    expect(await outboxSize()).toBe(closedCount);
    // The name of a closed satellite is free again.
    await createSatellite("La Fabrique à Cheylard");
  });

  it("refuses changes to reference copies of spaces owned elsewhere", async () => {
    t.hub.appendLog({
      originNodeId: null,
      entity: "SPACE",
      entityId: t.fabrique.id,
      op: "UPSERT",
      payload: {
        kind: "FABRIQUE",
        fabriqueId: null,
        name: t.fabrique.name,
        communeCode: "07185",
        services: [],
        openingHours: [],
        status: "OPEN",
      },
      targetNodeId: null,
    });
    expect((await t.agent.sync.pullNow()).kind).toBe("caught-up");
    const r = await t.gql(
      'mutation($id: ID!) { updateSatellite(id: $id, input: { name: "Renamed" }) { id } }',
      { id: t.fabrique.id },
      admin,
    );
    expect(codes(r)).toEqual(["FORBIDDEN"]);
    const space = await t.gql<{ space: { owned: boolean; kind: string } }>(
      "query($id: ID!) { space(id: $id) { owned kind } }",
      { id: t.fabrique.id },
      admin,
    );
    expect(space.data?.space).toEqual({ owned: false, kind: "FABRIQUE" });
    // The fabrique's own name counts against its satellites' names.
    const clash = await t.gql(
      "mutation($input: CreateSpaceInput!) { createSatellite(input: $input) { id } }",
      { input: { name: t.fabrique.name.toUpperCase(), communeCode: "07186" } },
      admin,
    );
    expect(codes(clash)).toEqual(["DUPLICATE_NAME"]);
    // Members may live at the fabrique itself.
    expect((await registerMember(t.fabrique.id)).errors).toBeUndefined();
  });

  it("gives a satellite its own space and its own members, nothing else", async () => {
    const mine = await createSatellite("Le Bercail");
    const other = await createSatellite("La Grange");
    const sat = await t.token({ role: "SATELLITE", spaceId: mine.id });

    const list = await t.gql<{ satellites: { id: string }[] }>("{ satellites { id } }", {}, sat);
    expect(list.data?.satellites.map((s) => s.id)).toEqual([mine.id]);
    const own = await t.gql("query($id: ID!) { space(id: $id) { id } }", { id: mine.id }, sat);
    expect(own.data).toEqual({ space: { id: mine.id } });
    const theirs = await t.gql("query($id: ID!) { space(id: $id) { id } }", { id: other.id }, sat);
    expect(theirs.data).toEqual({ space: null });

    const before = await outboxSize();
    expect(
      codes(
        await t.gql(
          'mutation { createSatellite(input: { name: "Annexe", communeCode: "07186" }) { id } }',
          {},
          sat,
        ),
      ),
    ).toEqual(["FORBIDDEN"]);
    expect(codes(await registerMember(other.id, sat))).toEqual(["FORBIDDEN"]);
    expect(
      codes(
        await t.gql("mutation($id: ID!) { closeSatellite(id: $id) { id } }", { id: mine.id }, sat),
      ),
    ).toEqual(["FORBIDDEN"]);
    expect(
      codes(
        await t.gql(
          'mutation($id: ID!) { updateSatellite(id: $id, input: { name: "Pris" }) { id } }',
          { id: other.id },
          sat,
        ),
      ),
    ).toEqual(["FORBIDDEN"]);
    expect(codes(await t.gql("{ syncStatus { nodeId } }", {}, sat))).toEqual(["FORBIDDEN"]);
    // Whether the hub is reachable, and how much waits to be sent: every console user sees it.
    const connection = await t.gql<{
      hubConnection: { hubReachable: boolean | null; outboxPending: number };
    }>("{ hubConnection { hubReachable outboxPending lastExchangeAt } }", {}, sat);
    expect(connection.errors).toBeUndefined();
    expect(connection.data?.hubConnection.outboxPending).toEqual(expect.any(Number));
    expect(
      codes(await t.gql("query($id: ID!) { members(spaceId: $id) { id } }", { id: other.id }, sat)),
    ).toEqual(["FORBIDDEN"]);
    expect(await outboxSize()).toBe(before);

    const registered = await registerMember(mine.id, sat);
    expect(registered.errors).toBeUndefined();
    const memberId = registered.data?.registerMember.id as string;
    const theirMember = (await registerMember(other.id)).data?.registerMember.id as string;
    const members = await t.gql<{ members: { id: string }[] }>(
      "query($id: ID!) { members(spaceId: $id) { id displayName } }",
      { id: mine.id },
      sat,
    );
    expect(members.data?.members.map((m) => m.id)).toEqual([memberId]);
    const renamed = await t.gql(
      'mutation($id: ID!) { updateSatellite(id: $id, input: { services: ["Repair café"] }) { services } }',
      { id: mine.id },
      sat,
    );
    expect(renamed.data).toEqual({ updateSatellite: { services: ["repair café"] } });
    // Moving a member elsewhere, or touching another space's member: refused.
    expect(
      codes(
        await t.gql(
          "mutation($id: ID!, $home: ID!) { updateMember(id: $id, homeSpaceId: $home) { id } }",
          { id: memberId, home: other.id },
          sat,
        ),
      ),
    ).toEqual(["FORBIDDEN"]);
    expect(
      codes(await t.gql("mutation($id: ID!) { eraseMember(id: $id) }", { id: theirMember }, sat)),
    ).toEqual(["NOT_FOUND"]);
    expect(
      (await t.gql("query($id: ID!) { member(id: $id) { id } }", { id: theirMember }, sat)).data,
    ).toEqual({ member: null });
  });

  it("lets a member read its own record and nothing else", async () => {
    const home = await createSatellite("Le Bercail");
    const memberId = (await registerMember(home.id)).data?.registerMember.id as string;
    const otherId = (await registerMember(home.id)).data?.registerMember.id as string;
    const token = await t.token({ role: "MEMBER", memberId });
    const own = await t.gql(
      "query($id: ID!) { member(id: $id) { id homeSpaceId displayName email phone owned } }",
      { id: memberId },
      token,
    );
    expect(own.data).toEqual({
      member: {
        id: memberId,
        homeSpaceId: home.id,
        displayName: "Camille Roux",
        email: "camille@example.org",
        phone: "+33 4 75 00 00 01",
        owned: true,
      },
    });
    expect(
      (await t.gql("query($id: ID!) { member(id: $id) { id } }", { id: otherId }, token)).data,
    ).toEqual({ member: null });
    for (const [query, variables] of [
      ["query($id: ID!) { members(spaceId: $id) { id } }", { id: home.id }],
      ["query($id: ID!) { space(id: $id) { id } }", { id: home.id }],
      ["{ satellites { id } }", {}],
      ["mutation($id: ID!) { eraseMember(id: $id) }", { id: memberId }],
      ['mutation($id: ID!) { updateMember(id: $id, displayName: "Moi") { id } }', { id: memberId }],
      [
        'mutation($id: ID!) { registerMember(homeSpaceId: $id, displayName: "Moi") { id } }',
        { id: home.id },
      ],
    ] as const) {
      expect(codes(await t.gql(query, variables, token)), query).toEqual(["FORBIDDEN"]);
    }
  });

  it("erases a member: personal data gone here, a DELETE tombstone in the outbox", async () => {
    const home = await createSatellite("Le Bercail");
    const memberId = (await registerMember(home.id)).data?.registerMember.id as string;
    const erased = await t.gql(
      "mutation($id: ID!) { eraseMember(id: $id) }",
      { id: memberId },
      admin,
    );
    expect(erased.data).toEqual({ eraseMember: memberId });
    expect(
      (await t.gql("query($id: ID!) { member(id: $id) { id } }", { id: memberId }, admin)).data,
    ).toEqual({ member: null });
    const last = (await outboxRepository.list(t.agent.store)).at(-1);
    expect(last).toMatchObject({
      entity: "MEMBER",
      entityId: memberId,
      op: "DELETE",
      payload: null,
    });
    expect(
      codes(await t.gql("mutation($id: ID!) { eraseMember(id: $id) }", { id: memberId }, admin)),
    ).toEqual(["NOT_FOUND"]);
  });
});

// Last: it stops the agent (and closes its store).
describe("over a socket", () => {
  it("listens on a free port, announces itself in its run file, and answers `agent status` over HTTP", async () => {
    // A resource from before resources travelled (migration 0007 marks it): sent at start.
    await t.agent.store.query(
      `INSERT INTO resource (id, space_id, name, category, sharing_scope, min_minutes,
         max_minutes, lead_minutes, cancel_deadline_minutes, status, movable, published)
       VALUES ('01JOLDRESOURCE000000000000', $1, 'Vieille scie', 'MACHINE', 'NETWORK', 30, 240,
         0, 0, 'AVAILABLE', FALSE, FALSE)`,
      [t.fabrique.id],
    );
    const requests = t.agent.services.bookingRequests;
    const decide = requests.decidePending;
    let decided = 0;
    requests.decidePending = () => {
      decided += 1;
      return decide();
    };
    // The backfill and the first decisions run before the API listens (no booking of an
    // unpublished resource can be written before it travelled).
    const listening = () =>
      fs.stat(runFilePath(t.dataDir)).then(
        () => true,
        () => false,
      );
    const beforeListening: string[] = [];
    const resources = t.agent.services.resources;
    const publish = resources.publishUnpublished;
    resources.publishUnpublished = async () => {
      if (!(await listening())) beforeListening.push("publish");
      return publish();
    };
    const decideFirst = requests.decidePending;
    requests.decidePending = async () => {
      if (decided === 0 && !(await listening())) beforeListening.push("decide");
      return decideFirst();
    };
    const { url } = await t.agent.start();
    expect(beforeListening).toEqual(["publish", "decide"]);
    resources.publishUnpublished = publish;
    try {
      // The automatic decider runs at start, then on its timer.
      await vi.waitFor(() => expect(decided).toBeGreaterThanOrEqual(3));
      // Started, the agent syncs on its own: the write is pushed without a flush.
      await createSatellite("Tiers-lieu de Désaignes");
      await vi.waitFor(async () => {
        const status = await fetchAgentStatus({ dataDir: t.dataDir });
        expect(status).toMatchObject({ nodeId: t.credentials.identity.nodeId, outboxPending: 0 });
        expect(status.lastPushAt).not.toBeNull();
      });
      expect(
        t.hub.node(t.credentials.identity.nodeId)?.applied.map((e) => [e.entity, e.entityId]),
      ).toEqual([
        ["RESOURCE", "01JOLDRESOURCE000000000000"],
        ["SPACE", expect.any(String)],
      ]);
      const health = await fetch(`${url}/health`);
      expect(health.status).toBe(200);
    } finally {
      await t.agent.stop();
    }
    // Stopped: the decider's timer is cleared.
    const after = decided;
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(decided).toBe(after);
    requests.decidePending = decide;
    await expect(fs.stat(runFilePath(t.dataDir))).rejects.toMatchObject({ code: "ENOENT" });
    await expect(fetchAgentStatus({ dataDir: t.dataDir })).rejects.toMatchObject({
      name: "AgentNotRunningError",
    });
  });
});
