import { createContext, useContext } from 'react';
import type { ConnectionState } from '../../../shared/ipc/contract';

// What the signed-in user may do at the chosen merchant. The connection feature owns the state;
// the app (App.tsx) passes this reading of it down to every feature, so a feature never reads
// the connection feature's store.

export type Permission = keyof ConnectionState['permissions'];

export interface Access {
  connected: boolean;
  merchantId: string | null;
  merchantName: string | null;
  permissions: ConnectionState['permissions'];
}

export const NO_ACCESS: Access = {
  connected: false,
  merchantId: null,
  merchantName: null,
  permissions: {
    preview: false,
    import: false,
    fix: false,
    history: false,
    recheck: false,
    retry: false,
  },
};

export function accessOf(state: ConnectionState | null): Access {
  if (!state) return NO_ACCESS;
  return {
    connected: state.status === 'connected',
    merchantId: state.merchantId,
    merchantName: state.merchants.find((m) => m.id === state.merchantId)?.name ?? null,
    permissions: state.permissions,
  };
}

export const AccessContext = createContext<Access>(NO_ACCESS);

export function useAccess(): Access {
  return useContext(AccessContext);
}

export function usePermission(permission: Permission): boolean {
  return useContext(AccessContext).permissions[permission];
}
