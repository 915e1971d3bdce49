import { describeForeignIds } from '../../../../../shared/domain/wrong-merchant';
import { useAccess } from '../../../lib/access';
import { useImportStore } from '../store';

/**
 * Most ids of the file are unknown to the chosen merchant: said before anything is written, with
 * the merchant's name, since the usual cause is choosing the wrong one.
 */
export function WrongMerchantCallout(): React.JSX.Element | null {
  const foreign = useImportStore((s) => s.view?.foreignIds ?? null);
  const { merchantName } = useAccess();
  if (!foreign) return null;
  return (
    <div className="callout callout--warning" role="alert">
      <strong>{describeForeignIds(foreign, merchantName ?? 'this merchant')}</strong> Nothing has
      been written. Choose the merchant the file was exported for on the Connection screen, then
      open the file again.
    </div>
  );
}
