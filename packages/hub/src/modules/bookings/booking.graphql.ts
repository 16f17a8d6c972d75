// Booking requests, decisions and their live updates at the hub (issue 5): filled in next.
export {};
