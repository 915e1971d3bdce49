import { serialToIso } from '../../../shared/sources/excel-serial';
import { columnName, decodeCellText as decodeXmlCell, type RawCell } from './xlsx-xml';

/**
 * A workbook cell as the text the rules read, exactly: text cells as written (leading zeros
 * kept), numbers without binary noise, dates from serials in the workbook's date system, a
 * formula by its saved value. What cannot be read exactly is a problem naming the cell.
 */

/** The cell's text, or why it cannot be read (an object only then: cells are many). */
export type CellValue = string | { problem: string; value: string };

export interface CellContext {
  sheet: string;
  row: number;
  sharedStrings: readonly string[];
  dateStyles: readonly boolean[];
  date1904: boolean;
}

/**
 * A number as Excel shows it at most: 15 significant digits. Beyond that a double's digits are
 * binary noise (12.499999999999998 is 12.5 typed in a cell; 0.1+0.2 is 0.3), so money typed to
 * the cent reads back to the cent; 12.345 stays 12.345 and the rules refuse it with its value.
 */
/** A number's text that needs no rounding: at most 15 digits, no exponent (most cells). */
const PLAIN_NUMBER = /^-?(?=[\d.]{1,16}$)\d+(?:\.\d+)?$/;

export function numberText(value: number, written?: string): string {
  if (written !== undefined && PLAIN_NUMBER.test(written) && !/^-?0\d/.test(written)) {
    return written;
  }
  const rounded = Number(value.toPrecision(15));
  const text = String(rounded);
  if (!text.includes('e')) return text;
  // Plain digits for large whole numbers (ids typed as numbers), never 1e+21's exponent form.
  return Math.abs(rounded) < 1e21
    ? rounded.toLocaleString('en-US', { useGrouping: false, maximumFractionDigits: 20 })
    : text;
}

function where(cell: RawCell, context: CellContext): string {
  return `sheet "${context.sheet}", cell ${columnName(cell.column)}${context.row}`;
}

/** The last serial converted: the rows of one purchase share its time. */
let lastSerial: { serial: number; date1904: boolean; iso: string | null } | null = null;

function serialIso(serial: number, date1904: boolean): string | null {
  if (lastSerial?.serial !== serial || lastSerial.date1904 !== date1904) {
    lastSerial = { serial, date1904, iso: serialToIso(serial, date1904) };
  }
  return lastSerial.iso;
}

export function cellValue(cell: RawCell, context: CellContext): CellValue {
  if (cell.formula !== null && (cell.value === null || cell.value === '')) {
    if (cell.type !== 'str' && cell.type !== 's' && cell.type !== 'inlineStr') {
      return {
        problem: `${where(cell, context)} holds the formula =${cell.formula} without a saved value: open the workbook in Excel and save it again (Excel saves each formula's value), or paste the values over the formulas`,
        value: `=${cell.formula}`,
      };
    }
  }
  switch (cell.type) {
    case 's': {
      const index = Number(cell.value);
      const text = context.sharedStrings[index];
      if (!Number.isInteger(index) || text === undefined) {
        return {
          problem: `${where(cell, context)} points at shared string ${cell.value ?? '(none)'}, which the workbook does not have`,
          value: cell.value ?? '',
        };
      }
      return text;
    }
    case 'inlineStr':
      return cell.inline ?? '';
    case 'str':
      return decodeCached(cell.value);
    case 'b':
      return cell.value === '1' ? 'TRUE' : cell.value === '0' ? 'FALSE' : decodeCached(cell.value);
    case 'e':
      return {
        problem: `${where(cell, context)} holds the error ${decodeCached(cell.value)}${cell.formula !== null ? ` (from =${cell.formula})` : ''}: correct it in the workbook`,
        value: decodeCached(cell.value),
      };
    case 'd':
      // An ISO 8601 date written as such (strict Open XML); the rules read it as text.
      return decodeCached(cell.value);
    default: {
      if (cell.value === null || cell.value.trim() === '') return '';
      const number = Number(cell.value);
      if (!Number.isFinite(number)) {
        return {
          problem: `${where(cell, context)} holds "${cell.value}", which is not a number`,
          value: cell.value,
        };
      }
      if (context.dateStyles[cell.style]) {
        const iso = serialIso(number, context.date1904);
        if (iso === null) {
          return {
            problem: `${where(cell, context)} is formatted as a date but holds ${cell.value}, which is no day of the ${context.date1904 ? '1904' : '1900'} date system${!context.date1904 && number >= 60 && number < 61 ? ' (Excel counts 29 February 1900, which never existed)' : ''}`,
            value: cell.value,
          };
        }
        return iso;
      }
      return numberText(number, cell.value);
    }
  }
}

function decodeCached(value: string | null): string {
  if (value === null) return '';
  return value.includes('&') || value.includes('_x') ? decodeXmlCell(value) : value;
}
