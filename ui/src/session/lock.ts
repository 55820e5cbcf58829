import { createContext, useContext } from 'react';

/** Locks the app now (the sidebar's Lock button). */
export const LockContext = createContext<() => void>(() => undefined);

export function useLock(): () => void {
  return useContext(LockContext);
}
