/**
 * Offers a text as a file download (a CSV table, a member's JSON record, a pass card's SVG, an
 * Open Badge). `bom` puts a UTF-8 byte-order mark first, so that spreadsheets read accents.
 */
export function downloadText(
  name: string,
  text: string,
  type = "application/json",
  { bom = false }: { bom?: boolean } = {},
): void {
  const parts = bom ? ["\uFEFF", text] : [text];
  const url = URL.createObjectURL(new Blob(parts, { type: `${type};charset=utf-8` }));
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
