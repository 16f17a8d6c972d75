/** Types of @digitalbazaar/bitstring 3.1 (the package ships none): what this module uses. */
declare module "@digitalbazaar/bitstring" {
  export class Bitstring {
    constructor(options: { length: number } | { buffer: Uint8Array });
    readonly length: number;
    set(position: number, on: boolean): void;
    get(position: number): boolean;
    /** GZIP, then base64url without padding (no multibase prefix). */
    encodeBits(): Promise<string>;
    static decodeBits(options: { encoded: string }): Promise<Uint8Array>;
  }
}
