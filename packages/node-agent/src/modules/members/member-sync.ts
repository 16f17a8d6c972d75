import type { MemberPayload } from "@maillage/schema";
import type { SqlSession } from "@maillage/storage";
import { credentialRepository } from "../resources/credential.repository.ts";
import type { ReferenceAppliedAs } from "../spaces/space-sync.ts";
import { memberRepository } from "./member.repository.ts";
import { memberDataRepository } from "./member-data.repository.ts";

/**
 * A pulled MEMBER event, in the pull transaction (`state` null for a DELETE): a pseudonymous
 * reference to another node's member, or one handed over to this node. A DELETE is the
 * member's erasure at home: here, in the same transaction, its visits become anonymous counts,
 * what it disclosed at check-in goes, its pass replicas count as revoked (ERASED) and its
 * credentials' replicas go; the credentials this node issued to it are queued for revocation
 * (settleErasures, right after the pull: it signs and sends).
 */
export async function applyMemberEvent(
  tx: SqlSession,
  id: string,
  state: MemberPayload | null,
  handover: boolean,
): Promise<ReferenceAppliedAs> {
  if (state === null) {
    const deleted = await memberRepository.deleteReference(tx, id);
    // An erased member's credentials go with it (its home node sends their DELETEs too, but
    // nothing ties them to the member here: no foreign key). Those granted here are kept.
    const credentials = await credentialRepository.deleteReplicasOfMember(tx, id);
    const visits = await memberDataRepository.anonymiseVisits(tx, id);
    const disclosures = await memberDataRepository.deleteDisclosures(tx, id);
    const passes = await memberDataRepository.revokePassReplicas(tx, id);
    const issued = await memberDataRepository.ownedCredentialIds(tx, id);
    if (issued.length > 0) await memberDataRepository.queueErasure(tx, id);
    return deleted || credentials + visits + disclosures + passes + issued.length > 0
      ? "deleted"
      : "kept-owned";
  }
  const written = handover
    ? await memberRepository.adoptHandover(tx, id, state.homeSpaceId)
    : await memberRepository.upsertReference(tx, id, state.homeSpaceId);
  return written ? (handover ? "handover" : "reference") : "kept-owned";
}
