// Dates in reports always carry their UTC offset: a time without a zone is ambiguous in court.

/** ISO 8601 in the machine's local time with its offset, e.g. 2024-03-14T10:42:17+01:00. */
export function localIsoString(date: Date): string {
  const pad = (v: number, w = 2) => String(Math.trunc(Math.abs(v))).padStart(w, '0');
  const off = -date.getTimezoneOffset();
  const sign = off >= 0 ? '+' : '-';
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
    `T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}` +
    `${sign}${pad(off / 60)}:${pad(off % 60)}`
  );
}

/** The IANA zone name of this machine, e.g. "Europe/Berlin" (or "UTC" when unknown). */
export function localTimeZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}

/**
 * Human form of an ISO timestamp that keeps the offset it was written with (the examiner's zone),
 * e.g. "2024-03-14 10:42:17 (UTC+01:00)". Unparseable input is returned unchanged.
 */
export function displayDateTime(iso: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(?:\.\d+)?(Z|[+-]\d{2}:?\d{2})?$/.exec(iso.trim());
  if (!m) return iso;
  const zone = !m[3] ? ' (time zone not recorded)' : m[3] === 'Z' ? ' (UTC)' : ` (UTC${m[3].length === 5 ? m[3].slice(0, 3) + ':' + m[3].slice(3) : m[3]})`;
  return `${m[1]} ${m[2]}${zone}`;
}
