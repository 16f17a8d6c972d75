import { base64url, exportJWK, generateKeyPair, SignJWT } from "jose";
import { ulid } from "ulid";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { outboxRepository } from "../../outbox/outbox.repository.ts";
import { startTestAgent, type TestAgent } from "../../testing/fixture.ts";
import { subscribeSse } from "../../testing/sse.ts";
import { issueSdJwt, present } from "./sd-jwt.ts";
import { shortCodeHash } from "./short-code.ts";

/**
 * Mobility at one agent (a fake hub): consent and the pass at home, offline verification and
 * check-in at the visited node (this node's own spaces, and passes of another node of the
 * network whose key and PASS replicas arrive by pull), the retention sweeper, visits of this
 * node's members pulled from the hub, and live visits.
 */
describe("mobility at an agent", () => {
  let t: TestAgent;
  let admin: string;
  let member: string;
  let memberToken: string;
  let clock = new Date();
  const DAY = 86_400_000;

  const sql = <R>(text: string, params: unknown[] = []) => t.agent.store.query<R>(text, params);
  const pull = async () => expect((await t.agent.sync.pullNow()).kind).toBe("caught-up");
  const outbox = async (entity: string) =>
    (await outboxRepository.list(t.agent.store)).filter((e) => e.entity === entity);
  const written = async () => ({
    visits: Number((await sql<{ n: string }>("SELECT count(*) AS n FROM visit"))[0]?.n),
    disclosures: Number(
      (await sql<{ n: string }>("SELECT count(*) AS n FROM visit_disclosure"))[0]?.n,
    ),
    events: (await outbox("VISIT")).length,
  });

  const PASS_FIELDS = `id memberId homeSpaceId status revocationReason validFrom validUntil consent shortCode`;
  const setConsent = (fields: string[], token = memberToken) =>
    t.gql<{ setPassConsent: Record<string, unknown> | null }>(
      `mutation($m: ID!, $f: [ConsentField!]!) { setPassConsent(memberId: $m, fields: $f) { ${PASS_FIELDS} } }`,
      { m: member, f: fields },
      token,
    );
  const presentation = async (disclose: string[]) => {
    const r = await t.gql<{
      memberPass: {
        presentation: { sdJwt: string; disclosed: string[]; qrSvg: string; qrPngBase64: string };
      };
    }>(
      `query($m: ID!, $d: [ConsentField!]) { memberPass(memberId: $m) { presentation(disclose: $d) { sdJwt disclosed qrSvg qrPngBase64 } } }`,
      { m: member, d: disclose },
      memberToken,
    );
    expect(r.errors).toBeUndefined();
    return r.data?.memberPass.presentation as {
      sdJwt: string;
      disclosed: string[];
      qrSvg: string;
      qrPngBase64: string;
    };
  };
  const VISIT_FIELDS = `id memberId homeSpaceId spaceId day arrivedAt departedAt durationMinutes method disclosure { firstName email phone organisation expiresAt }`;
  const checkIn = (input: Record<string, unknown>, token = admin) =>
    t.gql<{ checkIn: Record<string, unknown> & { id: string } }>(
      `mutation($i: CheckInInput!) { checkIn(input: $i) { ${VISIT_FIELDS} } }`,
      { i: { spaceId: t.fabrique.id, ...input } },
      token,
    );
  const codeOf = (r: { errors?: { extensions?: { code?: string } }[] }) =>
    r.errors?.[0]?.extensions?.code;

  /** Another node of the network: its key and fabrique arrive as NODE_KEY by pull. */
  async function otherNode() {
    const nodeId = ulid();
    const fabriqueId = ulid();
    const { privateKey, publicKey } = await generateKeyPair("EdDSA", { crv: "Ed25519" });
    const { x } = await exportJWK(publicKey);
    t.hub.appendLog({
      originNodeId: null,
      targetNodeId: null,
      entity: "NODE_KEY",
      entityId: nodeId,
      op: "UPSERT",
      payload: { fabriqueId, publicJwk: { kty: "OKP", crv: "Ed25519", x } },
    });
    return { nodeId, fabriqueId, privateKey };
  }

  async function foreignPass(
    signer: { nodeId: string; privateKey: CryptoKey },
    options: { from?: Date; until?: Date; fields?: Record<string, string>; home?: string } = {},
  ) {
    const passId = ulid();
    const validFrom = options.from ?? new Date(clock.getTime() - DAY);
    const validUntil = options.until ?? new Date(clock.getTime() + 300 * DAY);
    const issued = await issueSdJwt(
      {
        passId,
        nodeId: signer.nodeId,
        memberId: "member-elsewhere",
        homeSpaceId: options.home ?? "space-elsewhere",
        validFrom,
        validUntil,
        issuedAt: validFrom,
      },
      options.fields ?? {},
      signer.privateKey,
    );
    return { passId, issued, validFrom, validUntil };
  }

  beforeAll(async () => {
    t = await startTestAgent("pglite", { now: () => clock });
  }, 60_000);
  afterAll(async () => t?.close());
  beforeEach(async () => {
    clock = new Date();
    await t.reset();
    admin = await t.admin();
    await pull();
    const r = await t.gql<{ registerMember: { id: string } }>(
      `mutation($home: ID!) { registerMember(homeSpaceId: $home, displayName: "Camille Roux",
         firstName: "Camille", email: "camille@example.org", phone: "+33 4 75 00 00 01",
         organisation: "Atelier Roux") { id } }`,
      { home: t.fabrique.id },
      admin,
    );
    member = r.data?.registerMember.id as string;
    expect(member).toBeTruthy();
    memberToken = await t.token({ role: "MEMBER", memberId: member });
  });

  it("issues a pass carrying only the consented fields, shown as chosen, with QR, card and short code; nothing personal travels", async () => {
    // Default: nothing consented, no pass until one is asked for.
    const none = await t.gql<{ memberPass: unknown }>(
      `query($m: ID!) { memberPass(memberId: $m) { id } }`,
      { m: member },
      memberToken,
    );
    expect(none.data?.memberPass).toBeNull();
    // Only the member sets its consent.
    expect(codeOf(await setConsent(["EMAIL"], admin))).toBe("FORBIDDEN");
    const other = await t.token({ role: "MEMBER", memberId: "someone-else" });
    expect(codeOf(await setConsent(["EMAIL"], other))).toBe("FORBIDDEN");

    const r = await setConsent(["FIRST_NAME", "EMAIL"]);
    expect(r.errors).toBeUndefined();
    const pass = r.data?.setPassConsent as Record<string, unknown>;
    expect(pass).toMatchObject({
      memberId: member,
      status: "ACTIVE",
      consent: ["FIRST_NAME", "EMAIL"],
    });
    expect(pass.shortCode).toMatch(
      /^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/,
    );
    expect(Date.parse(pass.validUntil as string) - Date.parse(pass.validFrom as string)).toBe(
      365 * DAY,
    );

    // The SD-JWT VC: typ dc+sd-jwt, kid = node id, iss/sub/vct/jti, 4 digests (2 decoys).
    const full = await presentation(["FIRST_NAME", "EMAIL", "PHONE"]);
    expect(full.disclosed).toEqual(["FIRST_NAME", "EMAIL"]); // phone was not consented
    const [jwt, ...disclosures] = full.sdJwt.split("~");
    expect(disclosures.at(-1)).toBe("");
    const header = JSON.parse(
      Buffer.from((jwt as string).split(".")[0] as string, "base64url").toString(),
    );
    expect(header).toEqual({ alg: "EdDSA", typ: "dc+sd-jwt", kid: t.credentials.identity.nodeId });
    const claims = JSON.parse(
      Buffer.from((jwt as string).split(".")[1] as string, "base64url").toString(),
    );
    expect(claims).toMatchObject({
      iss: `urn:maillage:node:${t.credentials.identity.nodeId}`,
      sub: `urn:maillage:member:${member}`,
      vct: "urn:maillage:pass:1",
      jti: pass.id,
      homeSpaceId: t.fabrique.id,
      _sd_alg: "sha-256",
    });
    expect(claims._sd).toHaveLength(4);
    expect(JSON.stringify(claims)).not.toContain("Camille");
    const decoded = disclosures
      .filter((d) => d !== "")
      .map((d) => JSON.parse(Buffer.from(d, "base64url").toString()));
    expect(decoded.map((d) => [d[1], d[2]])).toEqual([
      ["firstName", "Camille"],
      ["email", "camille@example.org"],
    ]);
    const bare = await presentation([]);
    expect(bare.sdJwt).toBe(`${jwt}~`);
    expect(bare.disclosed).toEqual([]);
    expect(bare.qrSvg).toMatch(/^<svg/);
    expect(Buffer.from(bare.qrPngBase64, "base64").subarray(1, 4).toString()).toBe("PNG");
    // Only the member presents; the team sees the pass but cannot present it.
    const teamView = await t.gql(
      `query($m: ID!) { memberPass(memberId: $m) { shortCode cardSvg presentation { sdJwt } } }`,
      { m: member },
      admin,
    );
    expect(codeOf(teamView)).toBe("FORBIDDEN");
    const card = await t.gql<{ memberPass: { cardSvg: string } }>(
      `query($m: ID!) { memberPass(memberId: $m) { cardSvg } }`,
      { m: member },
      admin,
    );
    const svg = card.data?.memberPass.cardSvg as string;
    expect(svg).toContain(pass.shortCode as string);
    expect(svg).not.toContain("camille@example.org");
    expect(svg).not.toContain("+33");

    // A consent change re-issues: the old pass REVOKED (REPLACED), both PASS events sent.
    const again = (await setConsent(["ORGANISATION"])).data?.setPassConsent as Record<
      string,
      unknown
    >;
    expect(again.id).not.toBe(pass.id);
    const history = await t.gql<{
      memberPasses: { id: string; status: string; revocationReason: string | null }[];
    }>(
      `query($m: ID!) { memberPasses(memberId: $m) { id status revocationReason } }`,
      { m: member },
      memberToken,
    );
    expect(history.data?.memberPasses).toEqual([
      { id: again.id, status: "ACTIVE", revocationReason: null },
      { id: pass.id, status: "REVOKED", revocationReason: "REPLACED" },
    ]);
    const events = await outbox("PASS");
    expect(events.map((e) => e.entityId)).toEqual([pass.id, pass.id, again.id]);
    const everything = JSON.stringify(await outboxRepository.list(t.agent.store));
    for (const personal of ["Camille", "camille@example.org", "75 00 00 01", "Atelier Roux"]) {
      expect(everything).not.toContain(personal);
    }
    expect(events[0]?.payload).toMatchObject({ shortCodeHash: expect.stringMatching(/^sha256\$/) });
  });

  it("checks a pass in with the hub unreachable: a visit, its VISIT event, and only the fields both consented and chosen", async () => {
    await setConsent(["FIRST_NAME", "EMAIL"]);
    const shown = await presentation(["FIRST_NAME", "PHONE"]); // phone not consented: not in the pass
    t.hub.down = true;
    const r = await checkIn({ pass: shown.sdJwt });
    expect(r.errors).toBeUndefined();
    const visit = r.data?.checkIn as Record<string, unknown>;
    expect(visit).toMatchObject({
      memberId: member,
      homeSpaceId: t.fabrique.id,
      spaceId: t.fabrique.id,
      method: "PASS",
      departedAt: null,
      disclosure: { firstName: "Camille", email: null, phone: null, organisation: null },
    });
    const kept = await sql<Record<string, unknown>>("SELECT * FROM visit_disclosure");
    expect(kept).toHaveLength(1);
    expect(kept[0]).toMatchObject({
      first_name: "Camille",
      email: null,
      phone: null,
      organisation: null,
    });
    const [event] = await outbox("VISIT");
    expect(event).toMatchObject({ entityId: visit.id, pushedAt: null });
    expect(JSON.stringify(event?.payload)).not.toContain("Camille");
    expect(t.hub.refusedWhileDown).toBe(0); // verification asked the hub nothing
    // Check-out sets the departure and sends the visit again.
    clock = new Date(clock.getTime() + 90 * 60_000);
    const out = await t.gql<{ checkOut: { durationMinutes: number } }>(
      `mutation($v: ID!) { checkOut(visitId: $v) { durationMinutes } }`,
      { v: visit.id },
      admin,
    );
    expect(out.data?.checkOut.durationMinutes).toBe(90);
    expect(await outbox("VISIT")).toHaveLength(2);
    // Without disclosures, nothing is kept.
    await checkIn({ pass: (await presentation([])).sdJwt });
    expect((await written()).disclosures).toBe(1);
  });

  it("verifies another node's pass from the replicated node keys, refuses it once its replica is REVOKED", async () => {
    const node = await otherNode();
    const { passId, issued, validFrom, validUntil } = await foreignPass(node, {
      fields: { email: "visitor@example.org", phone: "+33 6 00 00 00 00" },
    });
    // Not yet pulled: the key is unknown here.
    expect(codeOf(await checkIn({ pass: present(issued, ["email"]) }))).toBe("PASS_UNKNOWN_ISSUER");
    await pull();
    t.hub.down = true;
    const ok = await checkIn({ pass: present(issued, ["email"]) });
    expect(ok.data?.checkIn).toMatchObject({
      memberId: "member-elsewhere",
      homeSpaceId: "space-elsewhere",
      disclosure: { email: "visitor@example.org", phone: null },
    });
    t.hub.down = false;
    // The home node revokes it: the PASS replica arrives, and the pass is refused.
    t.hub.appendLog({
      originNodeId: node.nodeId,
      targetNodeId: null,
      entity: "PASS",
      entityId: passId,
      op: "UPSERT",
      payload: {
        memberId: "member-elsewhere",
        homeSpaceId: "space-elsewhere",
        validFrom: validFrom.toISOString(),
        validUntil: validUntil.toISOString(),
        shortCodeHash: shortCodeHash("ABCDEFGHJKMN"),
        status: "REVOKED",
        revocationReason: "LOST",
      },
    });
    await pull();
    const before = await written();
    expect(codeOf(await checkIn({ pass: present(issued, []) }))).toBe("PASS_REVOKED");
    expect(codeOf(await checkIn({ shortCode: "abcd-efgh-jkmn" }))).toBe("PASS_REVOKED");
    expect(await written()).toEqual(before);
  });

  it("refuses forged, tampered, expired, revoked and other-network passes with their codes, writing nothing", async () => {
    await setConsent(["FIRST_NAME", "EMAIL"]);
    const { sdJwt } = await presentation(["FIRST_NAME"]);
    const [jwt, disclosure] = sdJwt.split("~") as [string, string];
    const [h, p, s] = jwt.split(".") as [string, string, string];

    // Forged: a key of no node of the network, even claiming this node as issuer.
    const stranger = await generateKeyPair("EdDSA", { crv: "Ed25519" });
    const forged = await foreignPass({ nodeId: ulid(), privateKey: stranger.privateKey });
    const claimingUs = await foreignPass({
      nodeId: t.credentials.identity.nodeId,
      privateKey: stranger.privateKey,
    });
    // Tampered: a disclosure altered (another value, same salt), a disclosure never signed,
    // the signed part altered (homeSpaceId), the signature cut.
    const [salt] = JSON.parse(Buffer.from(disclosure, "base64url").toString()) as [string];
    const altered = base64url.encode(JSON.stringify([salt, "firstName", "Dominique"]));
    const unsigned = base64url.encode(JSON.stringify(["c2FsdHNhbHRzYWx0", "phone", "+33 1 00"]));
    const claims = JSON.parse(Buffer.from(p, "base64url").toString());
    const otherPayload = base64url.encode(JSON.stringify({ ...claims, homeSpaceId: "elsewhere" }));
    // Expired, and not a dc+sd-jwt.
    const node = await otherNode();
    await pull();
    const expired = await foreignPass(node, {
      from: new Date(clock.getTime() - 400 * DAY),
      until: new Date(clock.getTime() - DAY),
    });
    // Another node of the network signing a pass for a member homed here.
    const notItsMember = await foreignPass(node, { home: t.fabrique.id });
    const plainJwt = await new SignJWT({ vct: "urn:maillage:pass:1" })
      .setProtectedHeader({ alg: "EdDSA", typ: "JWT", kid: node.nodeId })
      .sign(node.privateKey);

    const cases: [string, string][] = [
      [present(forged.issued, []), "PASS_UNKNOWN_ISSUER"],
      [present(claimingUs.issued, []), "PASS_INVALID"],
      [`${jwt}~${altered}~`, "PASS_INVALID"],
      [`${jwt}~${disclosure}~${unsigned}~`, "PASS_INVALID"],
      [`${jwt}~${disclosure}~${disclosure}~`, "PASS_INVALID"],
      [`${h}.${otherPayload}.${s}~`, "PASS_INVALID"],
      [`${h}.${p}.~`, "PASS_INVALID"],
      [jwt, "PASS_INVALID"],
      ["not a pass", "PASS_INVALID"],
      [present(expired.issued, []), "PASS_EXPIRED"],
      [present(notItsMember.issued, []), "PASS_INVALID"],
      [`${plainJwt}~`, "PASS_INVALID"],
    ];
    const before = await written();
    for (const [pass, code] of cases) {
      const r = await checkIn({ pass });
      expect({ pass, code: codeOf(r) }).toEqual({ pass, code });
    }
    // Revoked at home (LOST by the member): refused by presentation and by short code.
    const current = await t.gql<{ memberPass: { id: string; shortCode: string } }>(
      `query($m: ID!) { memberPass(memberId: $m) { id shortCode } }`,
      { m: member },
      memberToken,
    );
    const { id, shortCode } = (current.data as { memberPass: { id: string; shortCode: string } })
      .memberPass;
    expect(
      codeOf(
        await t.gql(
          `mutation($p: ID!) { revokePass(passId: $p, reason: LEFT) { id } }`,
          { p: id },
          memberToken,
        ),
      ),
    ).toBe("FORBIDDEN"); // a member revokes as LOST only
    const revoked = await t.gql<{ revokePass: { status: string } }>(
      `mutation($p: ID!) { revokePass(passId: $p, reason: LOST) { status } }`,
      { p: id },
      memberToken,
    );
    expect(revoked.data?.revokePass.status).toBe("REVOKED");
    expect(codeOf(await checkIn({ pass: sdJwt }))).toBe("PASS_REVOKED");
    expect(codeOf(await checkIn({ shortCode }))).toBe("PASS_REVOKED");
    expect(codeOf(await checkIn({ shortCode: "0000-0000-0000" }))).toBe("NOT_FOUND");
    expect(await written()).toEqual(before);

    // A pass expires: the clock a year on.
    const renewed = await t.gql<{ renewPass: { shortCode: string } }>(
      `mutation($m: ID!) { renewPass(memberId: $m) { shortCode } }`,
      { m: member },
      admin,
    );
    const fresh = (await presentation([])).sdJwt;
    clock = new Date(clock.getTime() + 366 * DAY);
    expect(codeOf(await checkIn({ pass: fresh }))).toBe("PASS_EXPIRED");
    expect(codeOf(await checkIn({ shortCode: renewed.data?.renewPass.shortCode }))).toBe(
      "PASS_EXPIRED",
    );
    expect(await written()).toEqual(before);
  });

  it("checks in by short code, as typed; refuses bad input and other places' tokens, writing nothing", async () => {
    const pass = (
      await t.gql<{ renewPass: { shortCode: string } }>(
        `mutation($m: ID!) { renewPass(memberId: $m) { shortCode } }`,
        { m: member },
        memberToken,
      )
    ).data?.renewPass as { shortCode: string };
    const { sdJwt } = await presentation([]);
    clock = new Date(clock.getTime() + 3 * 3_600_000); // visits recorded after the issue
    const before = await written();
    const hourAgo = new Date(clock.getTime() - 3_600_000).toISOString();
    const refusals: [Record<string, unknown>, string, string?][] = [
      [
        { pass: sdJwt, arrivedAt: new Date(clock.getTime() + 3_600_000).toISOString() },
        "BAD_USER_INPUT",
      ],
      [
        {
          pass: sdJwt,
          arrivedAt: hourAgo,
          departedAt: new Date(clock.getTime() - 7_200_000).toISOString(),
        },
        "BAD_USER_INPUT",
      ],
      [{ pass: sdJwt, arrivedAt: hourAgo, departedAt: hourAgo }, "BAD_USER_INPUT"],
      [{ pass: sdJwt, durationMinutes: 120 }, "BAD_USER_INPUT"], // would end in the future
      [{ pass: sdJwt, durationMinutes: 0 }, "BAD_USER_INPUT"],
      [{ pass: sdJwt, shortCode: pass.shortCode }, "BAD_USER_INPUT"],
      [{}, "BAD_USER_INPUT"],
      [{ shortCode: "too short" }, "BAD_USER_INPUT"],
      [{ pass: sdJwt, spaceId: "no-such-space" }, "NOT_FOUND"],
      [
        { pass: sdJwt },
        "FORBIDDEN",
        await t.token({ role: "SATELLITE", spaceId: "another-space" }),
      ],
      [{ pass: sdJwt }, "FORBIDDEN", memberToken],
      [{ pass: sdJwt }, "UNAUTHENTICATED", ""],
    ];
    for (const [input, code, token] of refusals) {
      const r = await checkIn(input, token ?? admin);
      expect({ input, code: codeOf(r) }).toEqual({ input, code });
    }
    expect(await written()).toEqual(before);

    const typed = pass.shortCode
      .toLowerCase()
      .replace(/-/g, " ")
      .replace(/1/g, "l")
      .replace(/0/g, "o");
    const r = await checkIn({ shortCode: typed, arrivedAt: hourAgo, durationMinutes: 45 });
    expect(r.errors).toBeUndefined();
    expect(r.data?.checkIn).toMatchObject({
      memberId: member,
      method: "SHORT_CODE",
      durationMinutes: 45,
      disclosure: null,
    });
    // Only this place's team sees it, with the member's own visit list at home.
    const theirs = await t.token({ role: "SATELLITE", spaceId: "another-space" });
    expect(codeOf(await t.gql(`{ visits(spaceId: "${t.fabrique.id}") { id } }`, {}, theirs))).toBe(
      "FORBIDDEN",
    );
    const mine = await t.gql<{ myVisits: { id: string }[] }>(
      `{ myVisits { id } }`,
      {},
      memberToken,
    );
    expect(mine.data?.myVisits.map((v) => v.id)).toEqual([r.data?.checkIn.id]);
    const strangerMember = await t.token({ role: "MEMBER", memberId: "someone-else" });
    const none = await t.gql<{ myVisits: unknown[] }>(`{ myVisits { id } }`, {}, strangerMember);
    expect(none.data?.myVisits).toEqual([]);
    expect(codeOf(await t.gql(`{ visits { id } }`, {}, memberToken))).toBe("FORBIDDEN");
    // Check-out: not twice, not before the arrival, not by another place.
    const checkOut = (v: unknown, d: string | null, token = admin) =>
      t.gql(
        `mutation($v: ID!, $d: DateTime) { checkOut(visitId: $v, departedAt: $d) { id } }`,
        { v, d },
        token,
      );
    expect(codeOf(await checkOut(r.data?.checkIn.id, null))).toBe("INVALID_TRANSITION");
    const open = await checkIn({ shortCode: pass.shortCode, arrivedAt: hourAgo });
    const openId = open.data?.checkIn.id;
    const outbox = (await written()).events;
    expect(
      codeOf(await checkOut(openId, new Date(clock.getTime() - 2 * 3_600_000).toISOString())),
    ).toBe("BAD_USER_INPUT");
    expect(
      codeOf(await checkOut(openId, new Date(clock.getTime() + 3_600_000).toISOString())),
    ).toBe("BAD_USER_INPUT");
    expect(codeOf(await checkOut(openId, null, theirs))).toBe("NOT_FOUND");
    expect((await written()).events).toBe(outbox);
    expect((await checkOut(openId, null)).errors).toBeUndefined();
  });

  it("re-issues the pass when a field it carries or the home changes, not for others", async () => {
    const first = (await setConsent(["EMAIL"])).data?.setPassConsent as { id: string };
    const update = (fields: string) =>
      t.gql(`mutation($m: ID!) { updateMember(id: $m, ${fields}) { id } }`, { m: member }, admin);
    const active = async () =>
      (
        await t.gql<{ memberPass: { id: string } }>(
          "query($m: ID!) { memberPass(memberId: $m) { id } }",
          { m: member },
          memberToken,
        )
      ).data?.memberPass.id;
    // Not carried by the pass (name, phone not consented): the same pass.
    expect(
      (await update(`displayName: "Camille R.", phone: "+33 4 75 00 00 09"`)).errors,
    ).toBeUndefined();
    expect(await active()).toBe(first.id);
    // The email it carries: a new pass, the old one REPLACED, the new email shown.
    expect((await update(`email: "camille@roux.example"`)).errors).toBeUndefined();
    const second = await active();
    expect(second).not.toBe(first.id);
    const shown = await presentation(["EMAIL"]);
    const visit = await checkIn({ pass: shown.sdJwt });
    expect(visit.data?.checkIn).toMatchObject({ disclosure: { email: "camille@roux.example" } });
    const old = await sql<{ status: string; revocation_reason: string }>(
      "SELECT status, revocation_reason FROM pass WHERE id = $1",
      [first.id],
    );
    expect(old).toEqual([{ status: "REVOKED", revocation_reason: "REPLACED" }]);
    // The email cleared: a new pass without it.
    await update("email: null");
    expect(await active()).not.toBe(second);
    expect((await presentation(["EMAIL"])).disclosed).toEqual([]);
  });

  it("deletes disclosed fields after the retention, keeping the visit", async () => {
    await setConsent(["EMAIL"]);
    const r = await checkIn({ pass: (await presentation(["EMAIL"])).sdJwt });
    expect(r.data?.checkIn).toMatchObject({ disclosure: { email: "camille@example.org" } });
    clock = new Date(clock.getTime() + 29 * DAY);
    expect(await t.agent.services.checkIns.sweepDisclosures()).toBe(0);
    clock = new Date(clock.getTime() + 1 * DAY + 1000);
    expect(await t.agent.services.checkIns.sweepDisclosures()).toBe(1);
    const seen = await t.gql<{ visits: { id: string; disclosure: unknown }[] }>(
      `{ visits { id disclosure { email } } }`,
      {},
      admin,
    );
    expect(seen.data?.visits).toEqual([{ id: r.data?.checkIn.id, disclosure: null }]);
  });

  it("stores the visits of its members pulled from the hub once, for the member and the home team, live", async () => {
    const subscribe = async (token: string) => {
      const sub = await subscribeSse(
        t.agent.fetch,
        token,
        "subscription { visitRecorded { id memberId spaceId } }",
      );
      return {
        async stop() {
          const text = await sub.stop();
          return text
            .split("\n")
            .filter((l) => l.startsWith("data:"))
            .map((l) => JSON.parse(l.slice(5)) as { data?: { visitRecorded: { id: string } } })
            .filter((d) => d.data)
            .map((d) => d.data?.visitRecorded.id);
        },
      };
    };
    const live = {
      team: await subscribe(admin),
      me: await subscribe(memberToken),
      other: await subscribe(await t.token({ role: "MEMBER", memberId: "someone-else" })),
      sat: await subscribe(await t.token({ role: "SATELLITE", spaceId: "another-space" })),
    };
    await new Promise((r) => setTimeout(r, 200));
    const node = ulid();
    const visitId = ulid();
    const payload = {
      memberId: member,
      homeSpaceId: t.fabrique.id,
      spaceId: "space-elsewhere",
      day: "2026-03-02",
      arrivedAt: "2026-03-02T09:00:00.000Z",
      departedAt: null,
      method: "PASS",
      passId: "pass-1",
    };
    const event = {
      originNodeId: node,
      targetNodeId: t.credentials.identity.nodeId,
      entity: "VISIT" as const,
      entityId: visitId,
      op: "UPSERT" as const,
      payload,
    };
    t.hub.appendLog(event);
    await pull();
    // The same visit again (a hub replaying it), then its check-out.
    t.hub.appendLog(event);
    t.hub.appendLog({ ...event, payload: { ...payload, departedAt: "2026-03-02T12:00:00.000Z" } });
    await pull();
    expect(await sql("SELECT id, owned FROM visit")).toEqual([{ id: visitId, owned: false }]);
    const mine = await t.gql<{
      myVisits: { id: string; durationMinutes: number; disclosure: null }[];
    }>(`{ myVisits { id durationMinutes disclosure { email } } }`, {}, memberToken);
    expect(mine.data?.myVisits).toEqual([{ id: visitId, durationMinutes: 180, disclosure: null }]);
    const team = await t.gql<{ memberVisits: { id: string }[] }>(
      `{ memberVisits { id } }`,
      {},
      admin,
    );
    expect(team.data?.memberVisits.map((v) => v.id)).toEqual([visitId]);
    // Not the visited place's: it is not in this node's `visits`.
    const here = await t.gql<{ visits: unknown[] }>(`{ visits { id } }`, {}, admin);
    expect(here.data?.visits).toEqual([]);
    await new Promise((r) => setTimeout(r, 200));
    expect(await live.team.stop()).toEqual([visitId, visitId, visitId]);
    expect(await live.me.stop()).toEqual([visitId, visitId, visitId]);
    expect(await live.other.stop()).toEqual([]);
    expect(await live.sat.stop()).toEqual([]);
  });
});
