/**
 * Excel's date serials: days since day 0 of the workbook's date system, the fraction being the
 * time of day. Used to read a workbook's date cells, and to recognise a serial that a CSV export
 * left in a date column.
 */

export const MS_PER_DAY = 86_400_000;
/** 1899-12-30: day 0 of the 1900 system for serials from 61 on (Lotus 1-2-3's leap day). */
const EPOCH_1900 = Date.UTC(1899, 11, 30);
const EPOCH_1904 = Date.UTC(1904, 0, 1);

/**
 * An Excel date serial as ISO 8601, without an offset (Excel stores none: the rules then ask
 * for the file's time zone, as for a CSV date-time without one). The 1900 system counts
 * 1900-02-29, which never existed (serial 60): refused; serials 1-59 are one day later than the
 * plain count from 1899-12-30 gives. Times are rounded to the millisecond (Excel's precision).
 */
export function serialToIso(serial: number, date1904: boolean): string | null {
  if (!Number.isFinite(serial) || serial < 0) return null;
  if (!date1904 && (serial < 1 || (serial >= 60 && serial < 61))) return null;
  const epoch = date1904 ? EPOCH_1904 : serial < 60 ? EPOCH_1900 + MS_PER_DAY : EPOCH_1900;
  const ms = epoch + Math.round(serial * MS_PER_DAY);
  const date = new Date(ms);
  const year = date.getUTCFullYear();
  if (year > 9999) return null;
  const iso = date.toISOString();
  if (ms % MS_PER_DAY === 0) return iso.slice(0, 10);
  return iso.endsWith('.000Z') ? iso.slice(0, 19) : iso.slice(0, 23);
}
