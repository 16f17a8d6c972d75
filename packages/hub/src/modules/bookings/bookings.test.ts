import { registerBookingTests } from "./bookings.suite.ts";

registerBookingTests("pglite");
