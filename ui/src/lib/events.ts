// A tiny app-wide signal: after a command changes data, screens that show counts refresh.
const EVENT = 'dossier:changed';

export function notifyChanged(): void {
  window.dispatchEvent(new Event(EVENT));
}

export function onChanged(handler: () => void): () => void {
  window.addEventListener(EVENT, handler);
  return () => window.removeEventListener(EVENT, handler);
}
