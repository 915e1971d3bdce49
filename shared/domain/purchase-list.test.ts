import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { packPurchases } from './packed-report';
import { PurchaseList } from './purchase-list';
import { runSteps } from './steps';
import { purchaseStats } from './summary';
import type { Purchase } from './types';

// Issue 18: the session keeps its purchases packed. Property: every way of reading a list, and
// every list derived from one (selected, merged, cut into chunks), equals the same operation on
// the Purchase objects, whether the list is packed or made from objects.

const purchase = (n: number, rows: number[], notes: (string | null | undefined)[]): Purchase => ({
  transactionNumber: `T${n}`,
  userId: `u-${n % 3}`,
  purchasedAt: `2026-03-0${(n % 9) + 1}T10:00:00.000Z`,
  currency: n % 2 ? 'EUR' : null,
  totalAmountCents: n * 101,
  storeCode: n % 4 ? null : 'S1',
  notes: n % 5 ? null : `note ${n}`,
  rows,
  items: rows.map((row, k) => ({
    row,
    lineNumber: k + 1,
    skuId: `sku-${(n + k) % 4}`,
    quantity: k + 1,
    unitPriceCents: 100 * (k + 1),
    ...(notes[k] === undefined ? {} : { notes: notes[k] }),
  })),
});

/** Purchases with ascending first rows (as a report has them), 1-4 items each. */
const purchasesArb = fc
  .array(
    fc.tuple(
      fc.integer({ min: 1, max: 4 }),
      fc.array(fc.option(fc.constantFrom('a', ''), { nil: undefined }), {
        minLength: 4,
        maxLength: 4,
      }),
    ),
    { maxLength: 30 },
  )
  .map((specs) => {
    let row = 2;
    return specs.map(([count, notes], n) => {
      const rows = Array.from({ length: count }, () => row++);
      return purchase(n, rows, notes);
    });
  });

const both = (purchases: Purchase[]): PurchaseList[] => [
  PurchaseList.fromArray(purchases),
  PurchaseList.fromPacked(packPurchases(purchases)),
];

describe('PurchaseList', () => {
  it('reads the same purchases and fields as the objects', () => {
    fc.assert(
      fc.property(purchasesArb, (purchases) => {
        for (const list of both(purchases)) {
          expect(list.length).toBe(purchases.length);
          expect(list.toArray()).toEqual(purchases);
          expect([...list]).toEqual(purchases);
          purchases.forEach((p, i) => {
            expect(list.transactionNumber(i)).toBe(p.transactionNumber);
            expect(list.userId(i)).toBe(p.userId);
            expect(list.purchasedAt(i)).toBe(p.purchasedAt);
            expect(list.totalAmountCents(i)).toBe(p.totalAmountCents);
            expect(list.itemCount(i)).toBe(p.items.length);
            p.items.forEach((item, k) => {
              expect(list.row(i, k)).toBe(item.row);
              expect(list.skuId(i, k)).toBe(item.skuId);
            });
          });
        }
      }),
      { numRuns: 200 },
    );
  });

  it('selects, filters and merges as the arrays would', () => {
    fc.assert(
      fc.property(
        purchasesArb,
        fc.array(fc.boolean(), { minLength: 30, maxLength: 30 }),
        fc.array(fc.integer({ min: 0, max: 200 }), { maxLength: 5 }),
        (purchases, keepFlags, addedRows) => {
          const kept = purchases.flatMap((_, i) => (keepFlags[i] ? [i] : []));
          const added = addedRows.map((row, n) => purchase(100 + n, [row, row + 1], []));
          // Merged by first row; a kept purchase before an added one with the same first row.
          const expected = [...kept.map((i) => purchases[i] as Purchase)];
          for (const p of [...added].sort((a, b) => (a.rows[0] ?? 0) - (b.rows[0] ?? 0))) {
            const at = expected.findIndex((e) => (e.rows[0] ?? 0) > (p.rows[0] ?? 0));
            expected.splice(at < 0 ? expected.length : at, 0, p);
          }
          for (const list of both(purchases)) {
            expect(list.select(kept).toArray()).toEqual(kept.map((i) => purchases[i]));
            expect(list.filter((i) => keepFlags[i] === true).toArray()).toEqual(
              kept.map((i) => purchases[i]),
            );
            const merged = runSteps(list.mergeSteps(kept, added));
            expect(merged.toArray()).toEqual(expected);
            // A list derived from a derived one (an edit after an edit) still reads the same.
            const again = merged.select(merged.toArray().flatMap((_, i) => (i % 2 ? [] : [i])));
            expect(again.toArray()).toEqual(expected.filter((_, i) => i % 2 === 0));
            expect(runSteps(again.mergeSteps([], added)).toArray()).toEqual(
              [...added].sort((a, b) => (a.rows[0] ?? 0) - (b.rows[0] ?? 0)),
            );
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('finds transaction numbers in place and rows as a lookup of each would, packed, merged or not', () => {
    fc.assert(
      fc.property(
        purchasesArb,
        fc.array(fc.integer({ min: 0, max: 40 }), { maxLength: 6 }),
        fc.array(fc.integer({ min: 0, max: 200 }), { maxLength: 3 }),
        (purchases, picked, addedRows) => {
          // T1 vs T10-T19: same start, other length; 'T' and '' match nothing packed.
          const few = new Set([...picked.map((n) => `T${n}`), 'T', '']);
          const many = new Set([...few, ...Array.from({ length: 70 }, (_, i) => `X${i}`)]);
          const added = addedRows.map((row, n) => purchase(100 + n, [row, row + 1], []));
          for (const list of both(purchases)) {
            const merged = runSteps(
              list.mergeSteps(
                purchases.flatMap((_, i) => (i % 3 ? [i] : [])),
                added,
              ),
            );
            for (const l of [list, merged]) {
              for (const numbers of [few, many, new Set<string>()]) {
                const test = l.transactionIn(numbers);
                const found = l.toArray().map((p) => numbers.has(p.transactionNumber));
                expect(Array.from({ length: l.length }, (_, i) => test(i))).toEqual(found);
              }
              // Rows looked for: some in the file, some between and beyond its rows.
              for (const rows of [new Set(picked.map((n) => n * 3)), new Set(addedRows)]) {
                const test = l.rowIn(rows);
                const found = l.toArray().map((p) => p.rows.some((r) => rows.has(r)));
                expect(Array.from({ length: l.length }, (_, i) => test(i))).toEqual(found);
              }
            }
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('gives references codes that name their text, shared by the lists derived from one', () => {
    const purchases = Array.from({ length: 12 }, (_, n) => purchase(n, [2 * n + 2, 2 * n + 3], []));
    const [objects, packed] = both(purchases) as [PurchaseList, PurchaseList];
    expect(objects.codeSpace).toBeNull();
    expect(objects.userCode(0)).toBe(-1);
    expect(objects.skuCode(0, 1)).toBe(-1);
    const space = packed.codeSpace;
    const byCode = new Map<number, string>();
    for (let i = 0; i < packed.length; i++) {
      const pairs: [number, string][] = [[packed.userCode(i), packed.userId(i)]];
      for (let k = 0; k < packed.itemCount(i); k++) {
        pairs.push([packed.skuCode(i, k), packed.skuId(i, k)]);
      }
      for (const [code, text] of pairs) {
        expect(code).toBeGreaterThanOrEqual(0);
        expect(code).toBeLessThan(space?.size ?? 0);
        expect(byCode.get(code) ?? text).toBe(text);
        byCode.set(code, text);
      }
    }
    const merged = runSteps(packed.mergeSteps([0, 2], [purchase(50, [100], [])]));
    expect(merged.codeSpace).toBe(space);
    expect(merged.userCode(1)).toBe(packed.userCode(2));
    expect(merged.userCode(2)).toBe(-1);
    expect(runSteps(packed.packSteps()).codeSpace).not.toBe(space);
  });

  it('gives the summary the first and last purchase time as the texts order them', () => {
    fc.assert(
      fc.property(
        purchasesArb,
        fc.array(fc.integer({ min: 0, max: 5_000_000 }), { minLength: 1, maxLength: 30 }),
        fc.array(fc.integer({ min: 0, max: 200 }), { maxLength: 5 }),
        (purchases, minutes, addedRows) => {
          const at = (n: number): string =>
            new Date(
              Date.UTC(2026, 0, 1) + (minutes[n % minutes.length] ?? 0) * 60_000,
            ).toISOString();
          const timed = purchases.map((p, n) => ({ ...p, purchasedAt: at(n) }));
          const added = addedRows.map((row, n) => ({
            ...purchase(100 + n, [row, row + 1], []),
            purchasedAt: at(n + 7),
          }));
          const expected = (list: readonly Purchase[]) => {
            const texts = list.map((p) => p.purchasedAt).sort();
            return [texts[0] ?? null, texts.at(-1) ?? null];
          };
          for (const list of both(timed)) {
            const merged = runSteps(list.mergeSteps([...timed.keys()], added));
            for (const l of [list, merged, list]) {
              const stats = purchaseStats(l);
              expect([stats.firstPurchasedAt, stats.lastPurchasedAt]).toEqual(
                expected(l.toArray()),
              );
              const part = purchaseStats(l, 1, 4);
              expect([part.firstPurchasedAt, part.lastPurchasedAt]).toEqual(
                expected(l.toArray().slice(1, 4)),
              );
            }
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('cuts whole purchases into chunks of at most maxRows items', () => {
    fc.assert(
      fc.property(purchasesArb, fc.integer({ min: 1, max: 6 }), (purchases, maxRows) => {
        for (const list of both(purchases)) {
          const chunks = list.chunks(maxRows);
          const cut = Array.from({ length: chunks.length }, (_, k) => chunks.at(k));
          expect(cut.flat()).toEqual(purchases);
          expect(chunks.rows).toBe(purchases.reduce((n, p) => n + p.items.length, 0));
          for (const [k, chunk] of cut.entries()) {
            const rows = chunk.reduce((n, p) => n + p.items.length, 0);
            expect(chunk.length).toBeGreaterThan(0);
            if (chunk.length > 1) expect(rows).toBeLessThanOrEqual(maxRows);
            // Greedy: the next chunk's first purchase did not fit in this one.
            const next = cut[k + 1]?.[0];
            if (next) expect(rows + next.items.length).toBeGreaterThan(maxRows);
          }
        }
      }),
      { numRuns: 200 },
    );
    expect(() => PurchaseList.empty.chunks(0)).toThrow(RangeError);
  });

  it('refuses packed arrays whose item counts do not add up', () => {
    const packed = packPurchases([purchase(1, [2, 3], [])]);
    packed.purchaseInts[6] = 3;
    expect(() => PurchaseList.fromPacked(packed)).toThrow(RangeError);
  });
});

describe('PurchaseList after an edit that rebuilt many purchases', () => {
  it('packs them again, reading the same', () => {
    const kept = Array.from({ length: 3 }, (_, n) => purchase(n, [2 + n * 10], ['a']));
    const rebuilt = Array.from({ length: 5000 }, (_, n) =>
      purchase(10 + n, [3 + n * 2, 4 + n * 2], []),
    );
    const list = PurchaseList.fromPacked(packPurchases(kept));
    const few = runSteps(list.mergeSteps([0, 1, 2], rebuilt.slice(0, 10)));
    expect(few.objectCount).toBe(10);
    const many = runSteps(list.mergeSteps([0, 2], rebuilt));
    expect(many.objectCount).toBe(0);
    const expected = [...rebuilt, kept[0] as Purchase, kept[2] as Purchase].sort(
      (a, b) => (a.rows[0] ?? 0) - (b.rows[0] ?? 0),
    );
    expect(many.toArray()).toEqual(expected);
  });
});
