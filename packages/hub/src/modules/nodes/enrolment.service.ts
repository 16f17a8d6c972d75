import { createHash, randomBytes } from "node:crypto";
import { MaillageError, parseInput } from "@maillage/schema";
import { ulid } from "ulid";
import { z } from "zod";
import type { Viewer } from "../../context.ts";
import type { PrismaClient } from "../../generated/prisma/client.ts";
import { resourceHandoverEntries } from "../bookings/hub-events.ts";
import { deleteStatusList } from "../credentials/credentials.repository.ts";
import { nodeKeyDeletion, nodeKeyEntry } from "../credentials/node-key-events.ts";
import type { SpaceService } from "../spaces/space.service.ts";
import { hubSpaceEvent, memberHandoverEvent } from "../spaces/space-events.ts";
import { appendToLog, prismaSql } from "../sync/change-log.repository.ts";

/**
 * Enrolment: how a fabrique's node agent gets known to the hub. The fabrique's team (or the
 * national body) asks for a one-time code; the agent presents it once, with its Ed25519
 * public key, before it expires. Only a hash of the code is stored.
 */
export type EnrolmentService = ReturnType<typeof createEnrolmentService>;

/** Crockford base32 without I, L, O, U: readable over the phone. */
const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
export const DEFAULT_CODE_TTL_HOURS = 24;

export function hashCode(code: string): string {
  const normalised = code.toUpperCase().replace(/[^0-9A-Z]/g, "");
  return createHash("sha256").update(normalised).digest("hex");
}

function newCode(): string {
  const bytes = randomBytes(16);
  const chars = [...bytes].map((b) => ALPHABET[b % 32]).join("");
  return chars.match(/.{4}/g)?.join("-") ?? chars;
}

const Ed25519PublicJwk = z.object({
  kty: z.literal("OKP"),
  crv: z.literal("Ed25519"),
  x: z.string().regex(/^[A-Za-z0-9_-]{43}$/, "a base64url Ed25519 public key"),
});

const EnrolInput = z.object({
  code: z.string().trim().min(8).max(64),
  publicKey: Ed25519PublicJwk.strict(),
});

const TtlHours = z
  .number()
  .int()
  .min(1)
  .max(24 * 14);

export function createEnrolmentService(deps: {
  prisma: PrismaClient;
  spaces: SpaceService;
  onLogAppended: () => void;
}) {
  const { prisma, spaces } = deps;

  return {
    async createCode(viewer: Viewer, fabriqueId: string, ttlHours = DEFAULT_CODE_TTL_HOURS) {
      const hours = parseInput(TtlHours, ttlHours);
      const fabrique = await spaces.loadVisible(viewer, fabriqueId);
      if (fabrique.kind !== "FABRIQUE") {
        throw new MaillageError("NOT_A_FABRIQUE", `${fabriqueId} is a satellite`, { fabriqueId });
      }
      if (fabrique.status === "CLOSED") {
        throw new MaillageError("SPACE_CLOSED", "the fabrique is closed", { fabriqueId });
      }
      const code = newCode();
      const expiresAt = new Date(Date.now() + hours * 3600_000);
      await prisma.enrolmentCode.create({
        data: {
          id: ulid(),
          fabriqueId,
          codeHash: hashCode(code),
          expiresAt,
          createdBy: viewer.sub,
        },
      });
      return { code, expiresAt, fabriqueId };
    },

    /**
     * Consumes a code and records the agent's public key. The code is marked used by a
     * conditional update in the same transaction as the node is written, so two agents
     * presenting one code cannot both enrol. The fabrique's satellites and members (and, at
     * a re-enrolment, its shared resources' records) are handed over to the node in the same
     * transaction.
     */
    async enrol(raw: unknown) {
      const input = parseInput(EnrolInput, raw);
      const codeHash = hashCode(input.code);
      const enrolment = await prisma.$transaction(async (tx) => {
        const now = new Date();
        const code = await tx.enrolmentCode.findUnique({ where: { codeHash } });
        const claimed = await tx.enrolmentCode.updateMany({
          where: { codeHash, usedAt: null, expiresAt: { gt: now } },
          data: { usedAt: now },
        });
        if (!code || claimed.count !== 1) {
          const reason = !code ? "unknown" : code.usedAt ? "already used" : "expired";
          throw new MaillageError("ENROLMENT_CODE_INVALID", `enrolment code ${reason}`, { reason });
        }
        // Locked like the hub's own writes to this network lock it: see space.repository.ts.
        await tx.$queryRawUnsafe("SELECT id FROM space WHERE id = $1 FOR UPDATE", code.fabriqueId);
        const fabrique = await tx.space.findUniqueOrThrow({ where: { id: code.fabriqueId } });
        if (fabrique.status === "CLOSED") {
          throw new MaillageError("SPACE_CLOSED", "the fabrique is closed", {
            fabriqueId: fabrique.id,
          });
        }
        // A re-enrolment (a replaced machine) starts a new node: a fresh agent counts its
        // seq from 1 again. The records the old node owned pass to the new one.
        const previous = await tx.node.findUnique({ where: { fabriqueId: fabrique.id } });
        const nodeId = ulid();
        const node = previous
          ? await tx.node.update({
              where: { id: previous.id },
              data: {
                id: nodeId,
                publicKey: input.publicKey,
                status: "ACTIVE",
                pushedSeq: 0,
                pendingEstimate: 0,
                oldestPendingAt: null,
              },
            })
          : await tx.node.create({
              data: {
                id: nodeId,
                fabriqueId: fabrique.id,
                publicKey: input.publicKey,
                status: "ACTIVE",
              },
            });
        // Handover: the satellites registered at the hub (or owned by the previous node) now
        // belong to the node, which receives them first thing in its pull.
        const handedOver = {
          OR: [{ ownerNodeId: null }, ...(previous ? [{ ownerNodeId: previous.id }] : [])],
        };
        await tx.space.updateMany({
          where: { fabriqueId: fabrique.id, ...handedOver },
          data: { ownerNodeId: node.id },
        });
        await tx.member.updateMany({
          where: {
            homeSpace: { OR: [{ id: fabrique.id }, { fabriqueId: fabrique.id }] },
            ...handedOver,
          },
          data: { ownerNodeId: node.id },
        });
        // So do the reports of the fabrique and of the satellites it now owns, whoever wrote
        // them (the node it replaces, or history the hub was seeded with): the node is their
        // only writer from now on, and may revise them.
        await tx.$executeRawUnsafe(
          `UPDATE activity_report SET owner_node_id = $1
           WHERE space_id IN (SELECT id FROM space
                              WHERE id = $2 OR (fabrique_id = $2 AND owner_node_id = $1))
             AND owner_node_id <> $1`,
          node.id,
          fabrique.id,
        );
        if (previous) {
          // Shared resources, their slots, requests and credentials follow too, so that the
          // new node may keep writing them and requests are routed to it.
          for (const sql of [
            "UPDATE resource SET owner_node_id = $2 WHERE owner_node_id = $1",
            "UPDATE booking SET owner_node_id = $2 WHERE owner_node_id = $1",
            "UPDATE credential SET owner_node_id = $2 WHERE owner_node_id = $1",
            "UPDATE booking_request SET owner_node_id = $2 WHERE owner_node_id = $1",
            "UPDATE booking_request SET requester_node_id = $2 WHERE requester_node_id = $1",
            // Trainings, their enrolments and members' enrolment requests likewise.
            "UPDATE training SET owner_node_id = $2 WHERE owner_node_id = $1",
            "UPDATE enrolment SET owner_node_id = $2 WHERE owner_node_id = $1",
            "UPDATE enrolment SET member_node_id = $2 WHERE member_node_id = $1",
            "UPDATE enrolment_request SET owner_node_id = $2 WHERE owner_node_id = $1",
            "UPDATE enrolment_request SET requester_node_id = $2 WHERE requester_node_id = $1",
            // Passes, visits and tariffs (mobility) likewise.
            "UPDATE pass SET owner_node_id = $2 WHERE owner_node_id = $1",
            "UPDATE visit SET owner_node_id = $2 WHERE owner_node_id = $1",
            "UPDATE tariff SET owner_node_id = $2 WHERE owner_node_id = $1",
          ]) {
            await tx.$executeRawUnsafe(sql, previous.id, node.id);
          }
        }
        const satellites = await tx.space.findMany({
          where: { fabriqueId: fabrique.id, ownerNodeId: node.id },
          orderBy: { id: "asc" },
        });
        const members = await tx.member.findMany({
          where: { ownerNodeId: node.id },
          select: { id: true, homeSpaceId: true },
          orderBy: { id: "asc" },
        });
        // After its satellites and members: its resources, their future CONFIRMED slots and
        // its members' credentials, handed over; its shared resources re-announced to the
        // other nodes with the new node as their origin (hub-events.ts).
        const sql = prismaSql(tx);
        // The network's key list first: the node replaced (its key, and what it signed, no
        // longer verify; its status list goes), then the new node's key, to every node.
        if (previous) await deleteStatusList(sql, previous.id);
        await appendToLog(sql, [
          ...(previous ? [nodeKeyDeletion(previous.id)] : []),
          nodeKeyEntry({ id: node.id, fabriqueId: fabrique.id, publicKey: input.publicKey }),
          ...satellites.map((space) => hubSpaceEvent(space, node.id)),
          ...members.map((member) => memberHandoverEvent(member, node.id)),
          ...(previous ? await resourceHandoverEntries(sql, node.id, fabrique.id) : []),
        ]);
        return { nodeId: node.id, fabriqueId: fabrique.id, fabriqueName: fabrique.name };
      });
      deps.onLogAppended();
      return enrolment;
    },
  };
}
