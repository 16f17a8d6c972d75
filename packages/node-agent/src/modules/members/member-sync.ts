import type { MemberPayload } from "@maillage/schema";
import type { SqlSession } from "@maillage/storage";
import { credentialRepository } from "../resources/credential.repository.ts";
import type { ReferenceAppliedAs } from "../spaces/space-sync.ts";
import { memberRepository } from "./member.repository.ts";

/**
 * A pulled MEMBER event, in the pull transaction (`state` null for a DELETE): a pseudonymous
 * reference to another node's member, or one handed over to this node.
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
    return deleted || credentials > 0 ? "deleted" : "kept-owned";
  }
  const written = handover
    ? await memberRepository.adoptHandover(tx, id, state.homeSpaceId)
    : await memberRepository.upsertReference(tx, id, state.homeSpaceId);
  return written ? (handover ? "handover" : "reference") : "kept-owned";
}
