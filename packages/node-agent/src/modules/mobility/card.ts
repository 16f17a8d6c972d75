import QRCode from "qrcode";

/**
 * The pass on paper and on screen. QR codes by `qrcode` (error correction M: a printed card
 * survives some wear; byte mode, the SD-JWT is ASCII). The card is one SVG page (credit-card
 * proportions, prints at 85.6 × 54 mm): the QR of the presentation without disclosures, the
 * short code to type, the home place and the validity. Nothing personal is printed on it.
 */
const QR_OPTIONS = { errorCorrectionLevel: "M", margin: 2 } as const;

export async function renderQr(text: string): Promise<{ svg: string; pngBase64: string }> {
  const [svg, png] = await Promise.all([
    QRCode.toString(text, { ...QR_OPTIONS, type: "svg" }),
    QRCode.toBuffer(text, { ...QR_OPTIONS, type: "png", scale: 4 }),
  ]);
  return { svg, pngBase64: png.toString("base64") };
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function day(date: Date): string {
  return date.toISOString().slice(0, 10);
}

export async function renderCard(card: {
  presentation: string;
  shortCode: string;
  homePlace: string;
  validFrom: Date;
  validUntil: Date;
  revoked: boolean;
}): Promise<string> {
  const qr = await QRCode.toString(card.presentation, { ...QR_OPTIONS, type: "svg" });
  // The QR's own <svg> nested, placed and sized by the card.
  const nested = qr.replace("<svg ", '<svg x="4" y="4" width="46" height="46" ');
  const text = (y: number, size: number, value: string, weight = "normal") =>
    `<text x="54" y="${y}" font-family="sans-serif" font-size="${size}" font-weight="${weight}">${escapeXml(value)}</text>`;
  return [
    '<svg xmlns="http://www.w3.org/2000/svg" width="85.6mm" height="54mm" viewBox="0 0 85.6 54">',
    '<rect x="0.2" y="0.2" width="85.2" height="53.6" rx="3" fill="#fff" stroke="#333" stroke-width="0.3"/>',
    nested,
    text(9, 3.6, "Pass Maillage", "bold"),
    text(15, 2.6, card.homePlace),
    text(24, 2.2, "Code"),
    text(29, 3.4, card.shortCode, "bold"),
    text(37, 2.2, `Valide du ${day(card.validFrom)}`),
    text(41, 2.2, `au ${day(card.validUntil)}`),
    card.revoked ? text(49, 3, "RÉVOQUÉ", "bold") : "",
    "</svg>",
  ].join("");
}
