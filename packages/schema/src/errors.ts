/**
 * Every expected failure of Maillage carries one of these stable codes (in GraphQL
 * `extensions.code`, in CLI messages, in sync answers). Clients test the code, never the
 * message text. docs/errors.md lists them for people; this map is the source of truth.
 */
export const ErrorCodes = {
  UNAUTHENTICATED: "The token is missing, malformed, expired, or not signed by a known key.",
  FORBIDDEN: "The token is valid but its role or scope does not allow this.",
  BAD_USER_INPUT: "An argument is malformed or out of range (the message names the field).",
  BAD_REQUEST:
    "The HTTP request is not a GraphQL request: a body that is not JSON, no query, a wrong method or parameter.",
  REQUEST_ENTITY_TOO_LARGE:
    "The request body (or WebSocket message) is larger than allowed (HTTP 413).",
  GRAPHQL_PARSE_FAILED: "The request is not valid GraphQL syntax.",
  GRAPHQL_VALIDATION_FAILED: "The request does not match the schema (unknown field, wrong type).",
  QUERY_TOO_COMPLEX:
    "The operation is over a limit (depth, aliases, tokens, cost, directives); `limit` says which, `max` its value. Nothing ran.",
  NOT_FOUND: "No object with this id exists (or it is not visible to the caller).",
  UNKNOWN_COMMUNE: "The INSEE code is not the code of a current French commune.",
  DUPLICATE_NAME: "Another open space of the same fabrique network already has this name.",
  SPACE_CLOSED: "The space is closed; it cannot be changed or given satellites.",
  HAS_OPEN_SATELLITES: "A fabrique cannot close while satellites of its network are open.",
  NOT_A_FABRIQUE: "The space given as a fabrique is a satellite.",
  ENROLMENT_CODE_INVALID: "The enrolment code is unknown, already used, or expired.",
  OWNED_BY_NODE: "The record is owned by a fabrique's node agent: change it there, not at the hub.",
  INVALID_EVENT: "A pushed change event does not match the sync contract (envelope or payload).",
  OWNERSHIP_VIOLATION: "A node pushed a change to a record it does not own.",
  SEQ_CONFLICT:
    "A node re-sent a seq the hub already holds with a different event (a restored backup?).",
  BATCH_TOO_LARGE: "A push carries more events than the protocol allows.",
  HUB_UNREACHABLE:
    "The node agent could not reach the hub; the change is kept and will be retried.",
  NOT_ENROLLED: "The node agent has no identity yet: run `maillage agent init` first.",
  SLOT_TAKEN: "The resource is already booked for part of this slot (its owner's store decides).",
  BOOKING_RULE_VIOLATION:
    "The booking breaks the resource's rules (duration, lead time); `reason` says which.",
  RESOURCE_NOT_AVAILABLE: "The resource is in maintenance or retired.",
  CANCEL_DEADLINE_PASSED:
    "The booking (or a training's seat) starts too soon to be cancelled (its cancellation deadline).",
  CREDENTIAL_REQUIRED:
    "The resource requires a credential the member does not hold (or holds expired); `credential` names it.",
  RESOURCE_NOT_SHARED:
    "The resource's sharing scope does not open it to this node or network (LOCAL resources stay in their network).",
  RESOURCE_ON_LOAN:
    "The resource is away on loan (checked out and not returned, or its loan covers the slot).",
  PREREQUISITE_MISSING:
    "The member does not hold a prerequisite credential of the training (or holds it expired at its start); `credential` names it.",
  ENROLMENT_CLOSED:
    "The training takes no more enrolments: it has started, ended or been cancelled.",
  ALREADY_ENROLLED:
    "The member already has a place in this training (enrolled, waitlisted, offered or pending).",
  TRAINING_NOT_SHARED:
    "The training is LOCAL to another fabrique's network: only that network's members enrol.",
  OFFER_EXPIRED: "The seat offered from the waitlist was not taken in time and passed to the next.",
  UNKNOWN_CREDENTIAL_TYPE:
    "A credential type that is neither documented nor granted by a training this node knows.",
  PASS_INVALID:
    "The pass cannot be read, or its signature or a disclosure does not verify (forged or tampered).",
  PASS_UNKNOWN_ISSUER:
    "The pass was not signed by a node of this network (another network's, or a node no longer in it).",
  PASS_EXPIRED: "The pass is past its validity: the member renews it at home.",
  PASS_REVOKED: "The pass was revoked (lost, member left or erased, or replaced by a newer one).",
  INVALID_TRANSITION:
    "The record is not in a state that allows this (a request already decided, a loan not checked out…); `status` says where it stands.",
  LOGIN_LINK_INVALID:
    "The sign-in link is malformed, expired, already used, or not signed by this server (HTTP 400).",
  CSRF_CHECK_FAILED:
    "A request authenticated by the session cookie came from another origin or lacked the session's x-maillage-csrf header (HTTP 403).",
  RATE_LIMITED:
    "Too many requests this minute for this person, node or address (HTTP 429); `retryAfterSeconds` (and the Retry-After header) says when to retry.",
  INTERNAL_SERVER_ERROR: "An unexpected error; details are in the server log, not in the answer.",
} as const;

export type ErrorCode = keyof typeof ErrorCodes;

/** Whether a value is one of the documented codes. */
export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === "string" && Object.hasOwn(ErrorCodes, code);
}

/** A failure the caller can act on. The edge turns it into a response with its code. */
export class MaillageError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  /** `details` are shown to the caller; put anything private in `cause` (logged only). */
  constructor(
    code: ErrorCode,
    message: string,
    details?: Record<string, unknown>,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "MaillageError";
    this.code = code;
    this.details = details;
  }
}
