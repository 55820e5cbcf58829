// A tiny hash router: `#/customers/ID/edd?x=y`. Hash URLs work from `file://`-like origins
// (the desktop shell) and need no server rewrites.
import { useSyncExternalStore } from 'react';

export interface Route {
  /** Path segments, e.g. ['customers', 'ID', 'edd']. */
  segments: string[];
  query: URLSearchParams;
  /** The raw hash without '#'. */
  raw: string;
}

function read(): string {
  const h = typeof window === 'undefined' ? '' : window.location.hash;
  return h.startsWith('#') ? h.slice(1) : h;
}

function subscribe(cb: () => void): () => void {
  window.addEventListener('hashchange', cb);
  return () => window.removeEventListener('hashchange', cb);
}

export function parseRoute(raw: string): Route {
  const [path = '', qs = ''] = raw.split('?', 2);
  const segments = path.split('/').filter(Boolean).map(decodeURIComponent);
  return { segments, query: new URLSearchParams(qs), raw };
}

export function useRoute(): Route {
  const raw = useSyncExternalStore(subscribe, read, () => '');
  return parseRoute(raw);
}

export function navigate(to: string): void {
  const target = to.startsWith('#') ? to : `#${to}`;
  if (window.location.hash === target) return;
  window.location.hash = target;
}

export function href(...segments: string[]): string {
  return `#/${segments.map(encodeURIComponent).join('/')}`;
}
