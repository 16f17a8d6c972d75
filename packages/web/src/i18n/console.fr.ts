/** The fabrique console's messages, French (the source of the keys; workstream C fills it). */
export const consoleFr = {
  "console.home": "Console",
} satisfies Record<string, string>;
