// Text helpers shared by the SVG charts. Charts are plain strings (no DOM), so every piece of
// user-supplied text (library entry names, file names) must pass through escapeXml before it lands
// in markup, and widths have to be estimated rather than measured.

/** Escapes the five XML special characters and drops code points XML 1.0 forbids. */
export function escapeXml(text: string): string {
  return (
    text
      // C0 controls other than tab/newline/CR and lone surrogates make the whole document invalid XML.
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD')
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      .replace(/'/g, '&apos;')
  );
}

/** Shortens text to at most `max` characters by cutting the middle, where long names differ least. */
export function ellipsizeMiddle(text: string, max: number): string {
  const chars = Array.from(text);
  if (chars.length <= max) return text;
  if (max <= 1) return '…';
  const keepEnd = Math.floor((max - 1) / 2);
  const keepStart = max - 1 - keepEnd;
  return chars.slice(0, keepStart).join('') + '…' + chars.slice(chars.length - keepEnd).join('');
}

/**
 * Approximate advance width of Helvetica/Arial text, in units of the font size. Good to a few
 * per cent for Latin text, which is all a layout needs to keep labels from colliding.
 */
export function estimateTextWidth(text: string, fontSize: number): number {
  let w = 0;
  for (const ch of text) {
    if ("il.,:;|!'1 ()[]ftIj".includes(ch)) w += 0.3;
    else if ('mwMW@%'.includes(ch)) w += 0.85;
    else if (ch >= 'A' && ch <= 'Z') w += 0.67;
    else w += 0.56;
  }
  return w * fontSize;
}

/** Fixed-decimal formatting that never prints "-0.00". */
export function fmt(value: number, decimals = 2): string {
  if (!Number.isFinite(value)) return '–';
  const s = value.toFixed(decimals);
  return /^-0\.?0*$/.test(s) ? s.slice(1) : s;
}

/** Rounds coordinates so the SVG stays compact and byte-stable across platforms. */
export function n(value: number): string {
  return String(Math.round(value * 100) / 100);
}

export const FONT_FAMILY = 'Helvetica, Arial, sans-serif';

/** Opening of a chart document: the <svg> element, a white background and the optional title. */
export function svgHeader(width: number, height: number, fontSize: number, title?: string): string[] {
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${FONT_FAMILY}">`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`,
  ];
  if (title) out.push(`<text x="0" y="${n(fontSize * 1.4)}" font-size="${n(fontSize * 1.25)}" font-weight="bold" fill="#111">${escapeXml(title)}</text>`);
  return out;
}
