export { createFakeHub, type FakeHub, type PushCall } from "./fake-hub.ts";
export {
  type Backend,
  craftToken,
  type GraphQLResponse,
  startTestAgent,
  TEST_SYNC_SETTINGS,
  type TestAgent,
} from "./fixture.ts";
