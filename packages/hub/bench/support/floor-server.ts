// The floor: a bare graphql-yoga server (`{ hello }`, no auth, no database) with a bare
// graphql-ws server on the same port, in its own process (started by servers.ts). Its
// `touch(id)` mutation publishes what the hub's spaceChanged carries (change, space { id name }),
// from memory, to every `spaceChanged` subscriber: the broadcast's floor.
import { setMaxListeners } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { useServer } from "graphql-ws/use/ws";
import { createPubSub, createSchema, createYoga } from "graphql-yoga";
import { WebSocketServer } from "ws";
import { serveParent } from "./child.ts";

type Space = { id: string; name: string };
// One listener per subscriber on one EventTarget: no "possible leak" warning past 10.
const eventTarget = new EventTarget();
setMaxListeners(0, eventTarget);
const pubsub = createPubSub<{ "space:changed": [{ spaceId: string; change: string }] }>({
  eventTarget,
});
const spaces = new Map<string, Space>();

const schema = createSchema({
  typeDefs: /* GraphQL */ `
    type Query { hello: String! }
    type Space { id: ID! name: String! }
    type SpaceChanged { change: String! space: Space! }
    type Mutation { touch(id: ID!, name: String!): Space! }
    type Subscription { spaceChanged: SpaceChanged! }
  `,
  resolvers: {
    Query: { hello: () => "world" },
    Mutation: {
      touch: (_: unknown, { id, name }: Space) => {
        const space = { id, name };
        spaces.set(id, space);
        pubsub.publish("space:changed", { spaceId: id, change: "UPDATED" });
        return space;
      },
    },
    SpaceChanged: {
      space: (event: { spaceId: string }) => spaces.get(event.spaceId),
    },
    Subscription: {
      spaceChanged: {
        subscribe: () => pubsub.subscribe("space:changed"),
        resolve: (event: unknown) => event,
      },
    },
  },
});

const yoga = createYoga({ schema, logging: false, landingPage: false, graphiql: false });
const server = createServer(yoga);
const wsServer = new WebSocketServer({ server, path: "/graphql" });
useServer({ schema }, wsServer);
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
const { port } = server.address() as AddressInfo;
serveParent(`http://127.0.0.1:${port}`, {
  stop: async () => {
    for (const client of wsServer.clients) client.terminate();
    await new Promise<void>((resolve) => wsServer.close(() => resolve()));
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  },
});
