// Locks the app after a spell without a key press, pointer move, touch or scroll, so a laptop
// left open at the counter does not show customers' data to the next person.
import { useEffect } from 'react';

const ACTIVITY = ['pointerdown', 'pointermove', 'keydown', 'wheel', 'touchstart'] as const;

export function useIdleLock(seconds: number | null, onIdle: () => void): void {
  useEffect(() => {
    if (seconds === null) return;
    let last = Date.now();
    const touch = () => {
      last = Date.now();
    };
    for (const name of ACTIVITY) window.addEventListener(name, touch, { capture: true, passive: true });
    const timer = setInterval(() => {
      if (Date.now() - last >= seconds * 1000) onIdle();
    }, 1000);
    return () => {
      clearInterval(timer);
      for (const name of ACTIVITY) window.removeEventListener(name, touch, { capture: true });
    };
  }, [seconds, onIdle]);
}
