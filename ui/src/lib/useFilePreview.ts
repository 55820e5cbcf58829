// Previews of stored scans. The window has no file-system access and no asset protocol: a scan
// is read by its `file:` reference with `read_file` (base64) and shown from memory, images as a
// Blob URL (a data: URL where Blob URLs are missing, as in tests). Both are allowed by the CSP's
// `img-src data: blob:`. PDFs are never embedded (`object-src 'none'`, no frame source): their
// first pages are drawn by pdf.js (`./pdf`, loaded on first use) into PNGs, shown the same way.
// While a PDF is being drawn, and when it cannot be (password, damage), callers show a card with
// its name and size instead.
//
// Reads are cached per backend and reference (a reference names content, which never changes),
// bounded by bytes; so are drawn pages, per reference and size. Each component instance makes its
// own Blob URLs and revokes them on unmount.
import { useEffect, useState } from 'react';

import type { Backend, BackendError } from '../backend/Backend';
import { toBackendError } from '../backend/Backend';
import { useBackend } from '../backend/context';
import type { PdfDrawing, PdfFailure } from './pdf';
import { PdfError, drawPdfPages, toPdfError } from './pdf';

/** `file:<sha256>`: a scan stored in the data directory (other references are a provider's). */
export const STORED_REFERENCE = /^file:[0-9a-f]{64}$/;

export function isStoredReference(reference: string | null | undefined): reference is string {
  return !!reference && STORED_REFERENCE.test(reference);
}

/** The media types shown as images; PDFs are drawn; anything else is shown as a card. */
export const IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'];
export const PDF_TYPE = 'application/pdf';

interface CachedFile {
  mediaType: string;
  size: number;
  /** Base64 bytes, kept for images and PDFs. */
  base64: string | null;
}

/** Keep at most this many base64 characters of scans in memory (about 48 MB of scans). */
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

/** Drops the least recently used entries until the scans held fit the budget. */
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

/** A stored scan's type, size and (for images and PDFs) bytes: read once, then from the cache. */
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
    const shown = IMAGE_TYPES.includes(content.media_type) || content.media_type === PDF_TYPE;
    const file: CachedFile = { mediaType: content.media_type, size: content.size, base64: shown ? content.data_base64 : null };
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

function base64Bytes(base64: string): Uint8Array<ArrayBuffer> {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function blobUrlsWork(): boolean {
  return typeof URL.createObjectURL === 'function' && typeof Blob === 'function';
}

function imageUrl(file: CachedFile): string {
  const base64 = file.base64 ?? '';
  if (blobUrlsWork()) return URL.createObjectURL(new Blob([base64Bytes(base64)], { type: file.mediaType }));
  return `data:${file.mediaType};base64,${base64}`;
}

/** A drawn page's URL: a Blob URL, or a data: URL where Blob URLs are missing. */
function pageUrl(blob: Blob): Promise<string> {
  if (blobUrlsWork()) return Promise.resolve(URL.createObjectURL(blob));
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error ?? new Error('the page could not be read'));
    reader.readAsDataURL(blob);
  });
}

/** How a PDF is drawn: CSS width of a page, and how many pages at most. */
export interface PdfSize {
  cssWidth: number;
  maxPages: number;
}

/** A thumbnail: the first page, 120 CSS pixels wide. */
export const PDF_THUMB: PdfSize = { cssWidth: 120, maxPages: 1 };
/** The viewer: the first three pages, as wide as the wide dialog's body. */
export const PDF_VIEWER: PdfSize = { cssWidth: 690, maxPages: 3 };

/** Keep at most this many bytes of drawn pages (PNGs) in memory. */
export const PDF_DRAWING_CACHE_BYTES = 32 * 1024 * 1024;

interface CachedDrawing {
  drawing: Promise<PdfDrawing>;
  bytes: number;
}

const drawings = new WeakMap<Backend, Map<string, CachedDrawing>>();

/** Device pixels for `cssWidth` (twice as many on a HiDPI screen, no more). */
function devicePixels(cssWidth: number): number {
  const ratio = typeof window !== 'undefined' && window.devicePixelRatio > 0 ? window.devicePixelRatio : 1;
  return Math.round(cssWidth * Math.min(2, Math.max(1, ratio)));
}

/**
 * A stored PDF's first pages, drawn once per reference and size, then from the cache. A PDF that
 * is password-protected or damaged stays so (a reference names content); any other failure is
 * not remembered, so the next preview tries again.
 */
export function loadPdfDrawing(backend: Backend, reference: string, base64: string, size: PdfSize): Promise<PdfDrawing> {
  let cache = drawings.get(backend);
  if (!cache) {
    cache = new Map();
    drawings.set(backend, cache);
  }
  const entries = cache;
  const width = devicePixels(size.cssWidth);
  const key = `${reference} ${width} ${size.maxPages}`;
  const hit = entries.get(key);
  if (hit) {
    entries.delete(key);
    entries.set(key, hit);
    return hit.drawing;
  }
  const drawing = drawPdfPages(base64Bytes(base64), { width, maxPages: size.maxPages });
  const entry: CachedDrawing = { drawing, bytes: 0 };
  entries.set(key, entry);
  drawing.then(
    (d) => {
      entry.bytes = d.pages.reduce((n, p) => n + p.blob.size, 0);
      let total = 0;
      for (const e of entries.values()) total += e.bytes;
      for (const [k, e] of entries) {
        if (total <= PDF_DRAWING_CACHE_BYTES) break;
        if (e === entry) continue;
        total -= e.bytes;
        entries.delete(k);
      }
    },
    (e: unknown) => {
      const reason = toPdfError(e).reason;
      if (reason === 'failed' && entries.get(key) === entry) entries.delete(key);
    },
  );
  return drawing;
}

/** A drawn page, as the window shows it. */
export interface PdfPageView {
  url: string;
  /** Pixels of the drawn PNG (device pixels). */
  width: number;
  height: number;
}

/** Where a PDF's drawing stands while its card shows: being drawn, or why it could not be. */
export type PdfState = 'rendering' | PdfFailure;

export type FilePreview =
  /** Not a stored scan (a provider's reference, or nothing): there are no bytes to show. */
  | { status: 'none' }
  | { status: 'loading' }
  | { status: 'image'; url: string; mediaType: string; size: number }
  /** A PDF with its first pages drawn, and how many pages it has. */
  | { status: 'pdf'; mediaType: string; size: number; pageCount: number; pages: PdfPageView[] }
  /**
   * A file shown as a card with its type and size: a PDF while it is drawn (`pdf: 'rendering'`) or
   * when it cannot be (`pdf`: the reason, `pdfMessage`: pdf.js's words), or another type (`pdf: null`).
   */
  | { status: 'file'; mediaType: string; size: number; pdf: PdfState | null; pdfMessage: string | null }
  | { status: 'error'; error: BackendError };

/**
 * The preview of one scan, by reference; follows the reference as it changes. PDFs are drawn at
 * `pdfSize` (a thumbnail's first page unless told).
 */
export function useFilePreview(reference: string | null | undefined, pdfSize: PdfSize = PDF_THUMB): FilePreview {
  const backend = useBackend();
  const stored = isStoredReference(reference);
  const [preview, setPreview] = useState<FilePreview>(stored ? { status: 'loading' } : { status: 'none' });
  const { cssWidth, maxPages } = pdfSize;

  useEffect(() => {
    if (!isStoredReference(reference)) {
      setPreview({ status: 'none' });
      return undefined;
    }
    let alive = true;
    const urls: string[] = [];
    setPreview({ status: 'loading' });

    const showPdf = async (file: CachedFile, base64: string) => {
      const card = { status: 'file', mediaType: file.mediaType, size: file.size } as const;
      setPreview({ ...card, pdf: 'rendering', pdfMessage: null });
      try {
        const drawing = await loadPdfDrawing(backend, reference, base64, { cssWidth, maxPages });
        const pages: PdfPageView[] = [];
        for (const page of drawing.pages) {
          if (!alive) return;
          const url = await pageUrl(page.blob);
          // Unmounted meanwhile: the cleanup has run, so this URL is let go here.
          if (!alive) {
            if (url.startsWith('blob:')) URL.revokeObjectURL(url);
            return;
          }
          urls.push(url);
          pages.push({ url, width: page.width, height: page.height });
        }
        if (!alive) return;
        if (!pages.length) throw new PdfError('damaged', 'the PDF has no pages');
        setPreview({ status: 'pdf', mediaType: file.mediaType, size: file.size, pageCount: drawing.pageCount, pages });
      } catch (e) {
        const failure = toPdfError(e);
        if (alive) setPreview({ ...card, pdf: failure.reason, pdfMessage: failure.message });
      }
    };

    loadFile(backend, reference)
      .then((file) => {
        if (!alive) return;
        if (file.base64 !== null && file.mediaType === PDF_TYPE) {
          void showPdf(file, file.base64);
        } else if (file.base64 !== null) {
          const url = imageUrl(file);
          urls.push(url);
          setPreview({ status: 'image', url, mediaType: file.mediaType, size: file.size });
        } else {
          setPreview({ status: 'file', mediaType: file.mediaType, size: file.size, pdf: null, pdfMessage: null });
        }
      })
      .catch((e: unknown) => {
        if (alive) setPreview({ status: 'error', error: toBackendError(e) });
      });
    return () => {
      alive = false;
      for (const url of urls) if (url.startsWith('blob:')) URL.revokeObjectURL(url);
    };
  }, [backend, reference, cssWidth, maxPages]);

  return preview;
}
