import type { Geography, TokenClaims } from "@maillage/schema";
import { MaillageError } from "@maillage/schema";
import type { SqlStore } from "@maillage/storage";
import type { PrismaClient } from "./generated/prisma/client.ts";
import type { Logger } from "./logger.ts";
import type { HealthService } from "./modules/health/health.service.ts";
import type { EnrolmentService } from "./modules/nodes/enrolment.service.ts";
import type { SpaceRepository } from "./modules/spaces/space.repository.ts";
import type { SpaceService } from "./modules/spaces/space.service.ts";
import type { PullService } from "./modules/sync/pull.service.ts";
import type { PushService } from "./modules/sync/push.service.ts";
import type { HubPubSub } from "./realtime/pubsub.ts";

/** Who is calling: the verified claims of the bearer token, or null when anonymous. */
export type Viewer = TokenClaims;

/** What every resolver receives. Built per request (HTTP) or per subscription (graphql-ws). */
export type Context = {
  viewer: Viewer | null;
  prisma: PrismaClient;
  /** Plain SQL on the same database, for the modules written in SQL (sync, health). */
  store: SqlStore;
  geography: Geography;
  pubsub: HubPubSub;
  spaceRepository: SpaceRepository;
  spaceService: SpaceService;
  enrolmentService: EnrolmentService;
  pushService: PushService;
  pullService: PullService;
  healthService: HealthService;
  /** The hub's logger, for what resolvers report to operators (a feed's cursor ahead). */
  logger: Logger;
};

/** The per-app part of the context, built once in createHub. */
export type AppServices = Omit<Context, "viewer">;

/** For resolvers behind an auth scope: the viewer, which scope-auth has already required. */
export function viewerOf(ctx: Pick<Context, "viewer">): Viewer {
  if (!ctx.viewer) throw new MaillageError("UNAUTHENTICATED", "a valid bearer token is required");
  return ctx.viewer;
}
