/**
 * Reads QR codes from the device's camera: getUserMedia, then BarcodeDetector when the browser
 * has it with qr_code, else jsQR (imported on first use) on canvas frames. The camera needs a
 * secure context (https, or localhost): over plain http on a LAN it is not offered at all.
 */

export type CameraProblem = "insecure" | "unsupported" | "denied" | "notFound" | "busy" | "other";

export class CameraError extends Error {
  override readonly name = "CameraError";
  constructor(readonly problem: CameraProblem) {
    super(problem);
  }
}

/** Why getUserMedia failed, from its DOMException's name. */
export function cameraProblemOf(error: unknown): CameraProblem {
  if (error instanceof CameraError) return error.problem;
  const name = (error as { name?: unknown } | null)?.name;
  switch (name) {
    case "NotAllowedError":
    case "PermissionDeniedError":
    case "SecurityError":
      return "denied";
    case "NotFoundError":
    case "DevicesNotFoundError":
    case "OverconstrainedError":
      return "notFound";
    case "NotReadableError":
    case "TrackStartError":
    case "AbortError":
      return "busy";
    case "TypeError":
      return "unsupported";
    default:
      return "other";
  }
}

/** Whether this page may ask for the camera at all (secure context, mediaDevices present). */
export function cameraAvailability(): CameraProblem | undefined {
  if (typeof window === "undefined") return "unsupported";
  if (!window.isSecureContext) return "insecure";
  if (!navigator.mediaDevices?.getUserMedia) return "unsupported";
  return undefined;
}

interface DetectedBarcode {
  rawValue: string;
}
interface BarcodeDetectorLike {
  detect(source: CanvasImageSource): Promise<DetectedBarcode[]>;
}
interface BarcodeDetectorClass {
  new (options: { formats: string[] }): BarcodeDetectorLike;
  getSupportedFormats(): Promise<string[]>;
}

type Decoder = (video: HTMLVideoElement) => Promise<string | undefined>;

async function nativeDecoder(): Promise<Decoder | undefined> {
  const Detector = (globalThis as { BarcodeDetector?: BarcodeDetectorClass }).BarcodeDetector;
  if (!Detector) return undefined;
  try {
    const formats = await Detector.getSupportedFormats();
    if (!formats.includes("qr_code")) return undefined;
    const detector = new Detector({ formats: ["qr_code"] });
    return async (video) => (await detector.detect(video))[0]?.rawValue || undefined;
  } catch {
    return undefined;
  }
}

async function jsqrDecoder(): Promise<Decoder> {
  const { default: jsQR } = await import("jsqr");
  const canvas = document.createElement("canvas");
  const context = canvas.getContext("2d", { willReadFrequently: true });
  return async (video) => {
    if (!context || !video.videoWidth) return undefined;
    const scale = Math.min(1, 800 / video.videoWidth);
    const width = Math.round(video.videoWidth * scale);
    const height = Math.round(video.videoHeight * scale);
    canvas.width = width;
    canvas.height = height;
    context.drawImage(video, 0, 0, width, height);
    const image = context.getImageData(0, 0, width, height);
    return jsQR(image.data, width, height, { inversionAttempts: "attemptBoth" })?.data || undefined;
  };
}

/**
 * Opens the camera into `video` and calls `onCode` with each QR text read (the same text again
 * only after 5 s). Resolves with the function that stops the camera; rejects with a CameraError.
 */
export async function startScanner(
  video: HTMLVideoElement,
  onCode: (text: string) => void,
): Promise<() => void> {
  const problem = cameraAvailability();
  if (problem) throw new CameraError(problem);
  let stream: MediaStream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({
      audio: false,
      video: { facingMode: { ideal: "environment" } },
    });
  } catch (error) {
    throw new CameraError(cameraProblemOf(error));
  }
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stop = () => {
    stopped = true;
    clearTimeout(timer);
    for (const track of stream.getTracks()) track.stop();
    video.srcObject = null;
  };
  try {
    video.srcObject = stream;
    video.muted = true;
    video.setAttribute("playsinline", "");
    await video.play();
  } catch (error) {
    stop();
    throw new CameraError(cameraProblemOf(error));
  }
  const decode = (await nativeDecoder()) ?? (await jsqrDecoder());
  let last = "";
  let lastAt = 0;
  const tick = async () => {
    if (stopped) return;
    try {
      if (video.readyState >= 2) {
        const text = await decode(video);
        const now = Date.now();
        if (text && !stopped && (text !== last || now - lastAt > 5000)) {
          last = text;
          lastAt = now;
          onCode(text);
        }
      }
    } catch {
      // a frame that cannot be read: try the next
    }
    if (!stopped) timer = setTimeout(tick, 200);
  };
  timer = setTimeout(tick, 50);
  return stop;
}
