import { createContext, useContext } from 'react';

/** Locks the app now (the sidebar's Lock button); `notice` is shown on the lock screen. */
export type Lock = (notice?: string) => void;

export const LockContext = createContext<Lock>(() => undefined);

export function useLock(): Lock {
  return useContext(LockContext);
}
