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
  activityDateProblem,
  activityEntityId,
  isFutureDate,
  localDate,
  timeZoneOfCommune,
  ulidTime,
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
  AVAILABILITY_ZONE,
  AvailabilityWindow,
  BOOKING_KINDS,
  BookingDecisionPayload,
  type BookingKind,
  BookingPayload,
  BookingRequestPayload,
  Closure,
  CredentialPayload,
  CredentialType,
  credentialValid,
  DECISION_STATUSES,
  type DecisionStatus,
  freeSlots,
  type Interval,
  IsoDate,
  isWithinAvailability,
  LOAN_STATUSES,
  type LoanStatus,
  openIntervals,
  parisInstant,
  parisWallClock,
  parseWeeklyRule,
  RESOURCE_CATEGORIES,
  RESOURCE_STATUSES,
  type ResourceCategory,
  ResourcePayload,
  type ResourceStatus,
  resourcePayloadOf,
  SHARING_SCOPES,
  type SharingScope,
  WEEKDAYS,
  type Weekday,
} from "./domain/resource.ts";
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
export { createErrorMasker, type ErrorLogger, withDefaultCode } from "./graphql-errors.ts";
export {
  DATE_TIME_DESCRIPTION,
  nameInputFields,
  parseDateTime,
  parseDateTimeLiteral,
  serializeDateTime,
  useInputFieldNames,
} from "./graphql-scalars.ts";
export {
  escapeHtml,
  GRAPHIQL_TOKEN_SCRIPT,
  htmlResponse,
  type LandingPage,
  renderErrorCodesPage,
  renderLandingPage,
  withTokenFromFragment,
} from "./http/pages.ts";
export { type ParsedId, parseId, requireId, ULID_PATTERN } from "./ids.ts";
export {
  checkGraphQLLimits,
  DEFAULT_GRAPHQL_LIMITS,
  type GraphQLLimitName,
  type GraphQLLimits,
  GraphQLLimitsEnv,
  graphqlLimitPlugins,
  graphqlLimitRules,
  graphqlLimitsFromEnv,
  parseWithinLimits,
} from "./limits.ts";
export { withNullableRootFields } from "./root-fields.ts";
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
