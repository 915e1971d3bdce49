import { create } from 'zustand';
import type { ConnectionState, Profile, SaveProfileInput } from '../../../../shared/ipc/contract';
import { api, errorMessage } from '../../lib/api';
import { notify } from '../../lib/toasts';

interface ConnectionStore {
  state: ConnectionState | null;
  profiles: Profile[];
  busy: boolean;
  error: string | null;
  started(): Promise<void>;
  stateReceived(state: ConnectionState): void;
  profileChosen(profileId: string): Promise<void>;
  profileSaved(input: SaveProfileInput): Promise<Profile | null>;
  profileDeleted(id: string): Promise<void>;
  merchantChosen(merchantId: string): Promise<void>;
  signInSubmitted(email: string, password: string): Promise<void>;
  signOutRequested(): Promise<void>;
}

export const useConnectionStore = create<ConnectionStore>()((set, get) => {
  const run = async <T>(work: () => Promise<T>): Promise<T | null> => {
    set({ busy: true, error: null });
    try {
      return await work();
    } catch (error) {
      set({ error: errorMessage(error) });
      return null;
    } finally {
      set({ busy: false });
    }
  };
  const reloadProfiles = async (): Promise<void> => {
    const { profiles } = await api().connectionListProfiles();
    set({ profiles });
  };
  return {
    state: null,
    profiles: [],
    busy: false,
    error: null,
    started: async () => {
      await run(async () => {
        const [state] = await Promise.all([api().connectionState(), reloadProfiles()]);
        set({ state });
      });
    },
    stateReceived: (state) => set({ state }),
    profileChosen: async (profileId) => {
      const state = await run(() => api().connectionConnect({ profileId }));
      if (state) set({ state });
    },
    profileSaved: async (input) => {
      const profile = await run(() => api().connectionSaveProfile(input));
      if (profile) {
        await reloadProfiles();
        notify('success', `Profile “${profile.name}” saved.`);
      }
      return profile;
    },
    profileDeleted: async (id) => {
      await run(async () => {
        await api().connectionDeleteProfile({ id });
        await reloadProfiles();
      });
    },
    merchantChosen: async (merchantId) => {
      const state = await run(() => api().connectionSelectMerchant({ merchantId }));
      if (state) set({ state });
    },
    signInSubmitted: async (email, password) => {
      const state = await run(() => api().connectionSignIn({ email, password }));
      if (state) set({ state, error: state.status === 'connected' ? null : state.error });
    },
    signOutRequested: async () => {
      const state = await run(() => api().connectionSignOut());
      if (state) set({ state });
      void get();
    },
  };
});

export function roleLabel(state: ConnectionState | null): string {
  if (!state || !state.merchantId) return '';
  if (state.unrestricted) return 'full access';
  return state.merchants.find((m) => m.id === state.merchantId)?.role ?? '';
}
