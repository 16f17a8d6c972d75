import { signal } from "@preact/signals";

/** True while the app's server cannot be reached (a NETWORK error, a live stream down). */
export const connectionLost = signal(false);

/**
 * True once the current page shows its first figures: the shell sets data-ready="true" on
 * <main> (browser tests and measures wait on it). Reset at each navigation.
 */
export const pageReady = signal(false);

/** Called by a view when its first data is on screen. */
export function markReady(): void {
  pageReady.value = true;
}
