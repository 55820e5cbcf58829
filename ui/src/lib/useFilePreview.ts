// Previews of stored scans. The window has no file-system access and no asset protocol: a scan
// is read by its `file:` reference with `read_file` (base64) and shown from memory, images as a
// Blob URL (a data: URL where Blob URLs are missing, as in tests). Both are allowed by the CSP's
// `img-src data: blob:`. PDFs are never embedded (`object-src 'none'`, no frame source): callers
// show a card with the name and size instead, so only their type and size are kept.
//
// Reads are cached per backend and reference (a reference names content, which never changes),
// bounded by bytes; each component instance makes its own Blob URL and revokes it on unmount.
import { useEffect, useState } from 'react';

import type { Backend, BackendError } from '../backend/Backend';
import { toBackendError } from '../backend/Backend';
import { useBackend } from '../backend/context';

/** `file:<sha256>`: a scan stored in the data directory (other references are a provider's). */
export const STORED_REFERENCE = /^file:[0-9a-f]{64}$/;

export function isStoredReference(reference: string | null | undefined): reference is string {
  return !!reference && STORED_REFERENCE.test(reference);
}

/** The media types shown as images; anything else (PDF) is shown as a card. */
export const IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'];
export const PDF_TYPE = 'application/pdf';

interface CachedFile {
  mediaType: string;
  size: number;
  /** Base64 bytes, kept for images only. */
  base64: string | null;
}

/** Keep at most this many base64 characters of images in memory (about 48 MB of scans). */
export const PREVIEW_CACHE_CHARS = 64 * 1024 * 1024;

const caches = new WeakMap<Backend, Map<string, Promise<CachedFile>>>();
const cachedChars = new WeakMap<Backend, Map<string, number>>();

function cacheFor(backend: Backend): { files: Map<string, Promise<CachedFile>>; chars: Map<string, number> } {
  let files = caches.get(backend);
  let chars = cachedChars.get(backend);
  if (!files || !chars) {
    files = new Map();
    chars = new Map();
    caches.set(backend, files);
    cachedChars.set(backend, chars);
  }
  return { files, chars };
}

/** Drops the least recently used entries until the images held fit the budget. */
function trim(files: Map<string, Promise<CachedFile>>, chars: Map<string, number>): void {
  let total = 0;
  for (const n of chars.values()) total += n;
  for (const reference of chars.keys()) {
    if (total <= PREVIEW_CACHE_CHARS) break;
    total -= chars.get(reference) ?? 0;
    chars.delete(reference);
    files.delete(reference);
  }
}

/** A stored scan's type, size and (for images) bytes: read once, then from the cache. */
export function loadFile(backend: Backend, reference: string): Promise<CachedFile> {
  const { files, chars } = cacheFor(backend);
  const hit = files.get(reference);
  if (hit) {
    // Most recently used last, so trimming drops the oldest first.
    files.delete(reference);
    files.set(reference, hit);
    const n = chars.get(reference);
    if (n !== undefined) {
      chars.delete(reference);
      chars.set(reference, n);
    }
    return hit;
  }
  const load = backend.readFile(reference).then((content) => {
    const image = IMAGE_TYPES.includes(content.media_type);
    const file: CachedFile = { mediaType: content.media_type, size: content.size, base64: image ? content.data_base64 : null };
    if (file.base64 && files.get(reference) === load) {
      chars.set(reference, file.base64.length);
      trim(files, chars);
    }
    return file;
  });
  files.set(reference, load);
  // A failed read is not remembered: the next preview asks again.
  load.catch(() => {
    if (files.get(reference) === load) files.delete(reference);
  });
  return load;
}

function imageUrl(file: CachedFile): string {
  const base64 = file.base64 ?? '';
  if (typeof URL.createObjectURL === 'function' && typeof Blob === 'function') {
    const binary = atob(base64);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
    return URL.createObjectURL(new Blob([bytes], { type: file.mediaType }));
  }
  return `data:${file.mediaType};base64,${base64}`;
}

export type FilePreview =
  /** Not a stored scan (a provider's reference, or nothing): there are no bytes to show. */
  | { status: 'none' }
  | { status: 'loading' }
  | { status: 'image'; url: string; mediaType: string; size: number }
  /** A PDF or another type that is not shown inline: its type and size for a card. */
  | { status: 'file'; mediaType: string; size: number }
  | { status: 'error'; error: BackendError };

/** The preview of one scan, by reference; follows the reference as it changes. */
export function useFilePreview(reference: string | null | undefined): FilePreview {
  const backend = useBackend();
  const stored = isStoredReference(reference);
  const [preview, setPreview] = useState<FilePreview>(stored ? { status: 'loading' } : { status: 'none' });

  useEffect(() => {
    if (!isStoredReference(reference)) {
      setPreview({ status: 'none' });
      return undefined;
    }
    let alive = true;
    let url: string | null = null;
    setPreview({ status: 'loading' });
    loadFile(backend, reference)
      .then((file) => {
        if (!alive) return;
        if (file.base64 !== null) {
          url = imageUrl(file);
          setPreview({ status: 'image', url, mediaType: file.mediaType, size: file.size });
        } else {
          setPreview({ status: 'file', mediaType: file.mediaType, size: file.size });
        }
      })
      .catch((e: unknown) => {
        if (alive) setPreview({ status: 'error', error: toBackendError(e) });
      });
    return () => {
      alive = false;
      if (url?.startsWith('blob:')) URL.revokeObjectURL(url);
    };
  }, [backend, reference]);

  return preview;
}
