// Resource discovery and availability at the hub (issue 5): filled in next.
export {};
