import type { ClusterAgent, GqlResult } from "./sync-cluster.ts";

/**
 * The fabrique team's writes through an agent's GraphQL API (the way a person makes them),
 * each answering the record's id. A GraphQL error throws, with its code.
 */
export class AgentApiError extends Error {
  constructor(
    readonly code: string | undefined,
    message: string,
  ) {
    super(message);
    this.name = "AgentApiError";
  }
}

async function run<T>(agent: ClusterAgent, query: string, variables: Record<string, unknown>) {
  const r: GqlResult<T> = await agent.gql<T>(query, variables);
  const error = r.errors?.[0];
  if (error || !r.data) {
    throw new AgentApiError(
      error?.extensions?.code,
      `${agent.name}: ${error?.message ?? r.status}`,
    );
  }
  return r.data;
}

export type SpaceInput = {
  name?: string;
  communeCode?: string;
  services?: string[];
  openingHours?: { day: number; opens: string; closes: string }[];
};

export function agentApi(agent: ClusterAgent) {
  return {
    async createSatellite(input: SpaceInput & { name: string; communeCode: string }) {
      const data = await run<{ createSatellite: { id: string } }>(
        agent,
        "mutation($i: CreateSpaceInput!) { createSatellite(input: $i) { id } }",
        { i: input },
      );
      return data.createSatellite.id;
    },
    async updateSatellite(id: string, input: SpaceInput) {
      await run(
        agent,
        "mutation($id: ID!, $i: UpdateSpaceInput!) { updateSatellite(id: $id, input: $i) { id } }",
        {
          id,
          i: input,
        },
      );
      return id;
    },
    async closeSatellite(id: string) {
      await run(agent, "mutation($id: ID!) { closeSatellite(id: $id) { id } }", { id });
      return id;
    },
    async registerMember(homeSpaceId: string, displayName: string, email?: string) {
      const data = await run<{ registerMember: { id: string } }>(
        agent,
        "mutation($h: ID!, $n: String!, $e: String) { registerMember(homeSpaceId: $h, displayName: $n, email: $e) { id } }",
        { h: homeSpaceId, n: displayName, e: email ?? null },
      );
      return data.registerMember.id;
    },
    async moveMember(id: string, homeSpaceId: string) {
      await run(
        agent,
        "mutation($id: ID!, $h: ID!) { updateMember(id: $id, homeSpaceId: $h) { id } }",
        {
          id,
          h: homeSpaceId,
        },
      );
      return id;
    },
    async eraseMember(id: string) {
      await run(agent, "mutation($id: ID!) { eraseMember(id: $id) }", { id });
      return id;
    },
    async space(id: string) {
      const data = await run<{
        space: { id: string; name: string; owned: boolean; status: string; kind: string } | null;
      }>(agent, "query($id: ID!) { space(id: $id) { id name owned status kind } }", { id });
      return data.space;
    },
    async syncStatus() {
      const data = await run<{
        syncStatus: {
          outboxPending: number;
          hubReachable: boolean | null;
          lastError: string | null;
          poisoned: { seq: number; code: string } | null;
          pullCursor: string;
        };
      }>(
        agent,
        "{ syncStatus { outboxPending hubReachable lastError poisoned { seq code } pullCursor } }",
        {},
      );
      return data.syncStatus;
    },
  };
}
