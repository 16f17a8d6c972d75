import { type Geography, MaillageError } from "@maillage/schema";
import type { SqlStore } from "@maillage/storage";
import type { NodeIdentity } from "./identity/identity.ts";
import type { AgentViewer } from "./identity/tokens.ts";
import type { ActivityService } from "./modules/activity/activity.service.ts";
import type { BookingRequestService } from "./modules/bookings/booking-request.service.ts";
import type { CredentialIssuer } from "./modules/credentials/issuer.ts";
import type { PortableCredentialService } from "./modules/credentials/portable-credentials.service.ts";
import type { MemberService } from "./modules/members/member.service.ts";
import type { CheckInService } from "./modules/mobility/check-in.service.ts";
import type { PassService } from "./modules/mobility/pass.service.ts";
import type { CredentialService } from "./modules/resources/credential.service.ts";
import type { ResourcePubSub } from "./modules/resources/live.ts";
import type { ResourceService } from "./modules/resources/resource.service.ts";
import type { SettlementService } from "./modules/settlement/settlement.service.ts";
import type { SatelliteService } from "./modules/spaces/satellite.service.ts";
import type { SyncService } from "./modules/sync/sync.service.ts";
import type { EnrolmentService } from "./modules/trainings/enrolment.service.ts";
import type { TrainingService } from "./modules/trainings/training.service.ts";

/** Who is calling the agent's API: the verified claims of its bearer token, or null. */
export type Viewer = AgentViewer;

/** What every resolver receives, built per request. */
export type Context = {
  viewer: Viewer | null;
  identity: NodeIdentity;
  store: SqlStore;
  geography: Geography;
  satellites: SatelliteService;
  members: MemberService;
  activity: ActivityService;
  resources: ResourceService;
  bookingRequests: BookingRequestService;
  credentials: CredentialService;
  /** Issues and revokes this node's credentials (grants, training attendance): issuer.ts. */
  credentialIssuer: CredentialIssuer;
  /** Node keys (JWKS), status lists and Open Badges exports, offline. */
  portableCredentials: PortableCredentialService;
  /** Trainings organised here and discovery of the network's (trainings module). */
  trainings: TrainingService;
  /** Enrolments at home and at the organiser: the decider, the sweeper, attendance. */
  enrolments: EnrolmentService;
  /**
   * The agent's one pub/sub for live updates (bookingUpdated, resourceAvailabilityChanged,
   * enrolmentUpdated, trainingSeatsChanged).
   */
  pubsub: ResourcePubSub;
  /** Tariffs and settlement statements between networks (settlement module). */
  settlement: SettlementService;
  sync: SyncService;
  /** Member passes at home: consent, issue, presentation, revocation (mobility module). */
  passes: PassService;
  /** Check-in and check-out at the visited node, visits' views, the disclosure sweeper. */
  checkIns: CheckInService;
};

/** The per-agent part of the context, built once in createAgent. */
export type AppServices = Omit<Context, "viewer">;

/** For resolvers behind an auth scope: the viewer, which scope-auth has already required. */
export function viewerOf(ctx: Pick<Context, "viewer">): Viewer {
  if (!ctx.viewer) throw new MaillageError("UNAUTHENTICATED", "a valid bearer token is required");
  return ctx.viewer;
}
