import { registerBookingTests } from "./bookings.suite.ts";

registerBookingTests("postgres");
