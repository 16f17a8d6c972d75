import type { VerifiedClaims } from "./tokens.ts";

/** How many verified tokens a hub keeps in memory (the oldest go first). */
export const VERIFIED_TOKENS_MAX = 10_000;

/**
 * Tokens already verified, so that a client sending the same bearer token on every request
 * costs one EdDSA verification per token rather than one per request (issue 13). An entry
 * holds while its token has not expired and `stillTrusted` says the key that verified it is
 * still the one in force (the key ring's generation, the node key's cache entry); otherwise
 * the token is verified again. Bounded: past `max` entries the oldest is dropped.
 */
export class VerifiedTokens<Proof, Claims extends { exp: number } = VerifiedClaims> {
  private readonly entries = new Map<string, { claims: Claims; proof: Proof }>();

  constructor(private readonly max = VERIFIED_TOKENS_MAX) {}

  get(token: string, stillTrusted: (proof: Proof) => boolean): Claims | undefined {
    const entry = this.entries.get(token);
    if (!entry) return undefined;
    if (entry.claims.exp * 1000 <= Date.now() || !stillTrusted(entry.proof)) {
      this.entries.delete(token);
      return undefined;
    }
    return entry.claims;
  }

  set(token: string, claims: Claims, proof: Proof): void {
    if (this.entries.size >= this.max) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(token, { claims, proof });
  }

  get size(): number {
    return this.entries.size;
  }
}
