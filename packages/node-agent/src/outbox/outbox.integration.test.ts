import { registerOutboxTests } from "./outbox.suite.ts";

registerOutboxTests("postgres");
