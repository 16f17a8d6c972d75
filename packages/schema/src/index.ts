export {
  ALLOWED_ALGORITHMS,
  HubTokenRole,
  Role,
  TokenClaims,
  Ttl,
  ttlSeconds,
} from "./auth/claims.ts";
export {
  ActivityCounts,
  ActivityDate,
  ActivityPayload,
  activityEntityId,
  isFutureDate,
} from "./domain/activity.ts";
export {
  type Commune,
  type Department,
  type Geography,
  loadGeography,
  type Region,
  RURAL_POPULATION_THRESHOLD,
} from "./domain/geography.ts";
export {
  CommuneCode,
  CreateSpaceInput,
  OpeningHours,
  OpeningSlot,
  Services,
  SpaceKind,
  SpaceName,
  SpaceStatus,
  UpdateSpaceInput,
} from "./domain/space.ts";
export { type ErrorCode, ErrorCodes, MaillageError } from "./errors.ts";
export { createErrorMasker, type ErrorLogger } from "./graphql-errors.ts";
export {
  ChangeEvent,
  ChangeOp,
  ENTITY_PAYLOADS,
  EntityName,
  MemberPayload,
  parseChangeEvent,
  SCHEMA_VERSION,
  SpacePayload,
} from "./sync/change-event.ts";
export {
  MAX_PULL_LIMIT,
  MAX_PUSH_BATCH,
  NODE_TOKEN_MAX_TTL_SECONDS,
  NodeTokenClaims,
  PulledEvent,
  PullResult,
  PushRejection,
  PushResult,
  SyncOperations,
} from "./sync/protocol.ts";
export { parseInput } from "./validation.ts";
