/**
 * Offers a text as a file download (a member's JSON record, a pass card's SVG, an Open Badge).
 * CSV tables use ui/csv.ts downloadCsv (with the BOM spreadsheets need).
 */
export function downloadText(name: string, text: string, type = "application/json"): void {
  const url = URL.createObjectURL(new Blob([text], { type: `${type};charset=utf-8` }));
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
