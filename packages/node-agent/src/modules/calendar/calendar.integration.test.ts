import { registerCalendarTests } from "./calendar.suite.ts";

registerCalendarTests("postgres");
