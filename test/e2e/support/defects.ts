import { randomUUID } from 'node:crypto';
import type { SeededMerchant } from '../../support/seed';

/**
 * samples/sample-purchases-defects.csv rebuilt with a test merchant's own ids: 15 rows, 12
 * transactions, the typical defects (one per transaction from FIX-1002 to FIX-1011).
 */
export function defectsCsv(merchant: SeededMerchant, tag: string): { csv: string; good: string[] } {
  const u = (i: number): string => merchant.userIds[i] ?? '';
  const s = (i: number): string => merchant.skuIds[i] ?? '';
  const t = (n: number): string => `FIX-${tag}-${n}`;
  const rows = [
    'transaction_number,user_id,purchased_at,sku_id,quantity,unit_price,currency,total_amount,store_code,notes',
    `${t(1001)},${u(0)},2026-11-02T09:15:00+01:00,${s(0)},2,3.20,EUR,9.70,S001,`,
    `${t(1001)},${u(0)},2026-11-02T09:15:00+01:00,${s(1)},1,3.30,EUR,9.70,S001,`,
    `${t(1002)},${randomUUID()},2026-11-02T10:00:00Z,${s(2)},1,3.80,EUR,,S002,`,
    `${t(1003)},${u(2)},2026-11-02T10:05:00Z,${s(3)},1,3.90,EUR,,S002,`,
    `${t(1003)},${u(2)},2026-11-02T10:05:00Z,${randomUUID()},1,2.50,EUR,,S002,`,
    `${t(1004)},${u(3)},2026-11-02T11:30:00Z,${s(4)},1.5,2.90,EUR,,S003,`,
    `${t(1005)},${u(4)},2026-11-02T12:00:00Z,${s(5)},1,2.995,EUR,,S003,`,
    `${t(1006)},${u(5)},03/04/2026,${s(6)},1,2.60,EUR,,S001,`,
    `${t(1007)},${u(6)},2026-11-02 14:45:00,${s(7)},2,3.10,EUR,,S004,`,
    `${t(1008)},${u(7)},2026-11-03T08:00:00Z,${s(8)},1,4.20,EUR,,S001,`,
    `${t(1008)},${u(7)},2026-11-03T08:00:00Z,${s(9)},1,4.40,EUR,,S005,`,
    `${t(1009)},${u(8)},2026-11-03T09:00:00Z,${s(10)},2,3.50,EUR,7.50,S002,`,
    `${t(1010)},${u(9)},2026-11-03T09:30:00Z,${s(11)},1,5.00,EUX,,S002,`,
    `${t(1011)},${u(10)},2026-11-03T10:00:00Z,${s(0)},1,"12,50",EUR,,S003,`,
    `${t(1012)},${u(11)},2026-11-03T10:30:00Z,${s(1)},3,2.00,EUR,6.00,S004,"gift, wrapped"`,
  ];
  return { csv: rows.join('\n'), good: [t(1001), t(1012)] };
}
