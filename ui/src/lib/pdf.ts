// PDF scans drawn as pictures. The window may not embed documents (`object-src 'none'`, no frame
// source), so a PDF's first pages are drawn with Mozilla's pdf.js onto a canvas and handed back as
// PNG Blobs, which show in an <img> from a Blob URL (`img-src blob:`).
//
// pdf.js (about 0.5 MB, plus a 1.3 MB worker) is loaded only when a PDF is first shown: this
// module is small and imports `./pdfjs` (the only code that touches pdf.js) dynamically. Tests
// replace `./pdfjs`; everything here (the queue, the failure words) is what runs in the app.

/** Why a PDF's pages could not be drawn. */
export type PdfFailure =
  /** It asks for a password to open (a user password): nothing can be drawn without it. */
  | 'encrypted'
  /** It is not a readable PDF (truncated, damaged, or no pages). */
  | 'damaged'
  /** pdf.js could not draw it here (no canvas, the worker failed, an unexpected error). */
  | 'failed';

export class PdfError extends Error {
  constructor(
    readonly reason: PdfFailure,
    message: string,
  ) {
    super(message);
    this.name = 'PdfError';
  }
}

/** One drawn page: a PNG, and its size in pixels. */
export interface PdfPageImage {
  blob: Blob;
  width: number;
  height: number;
}

/** The first pages of a PDF, drawn, and how many pages it has in all. */
export interface PdfDrawing {
  pageCount: number;
  pages: PdfPageImage[];
}

export interface PdfDrawOptions {
  /** Width of each drawn page in pixels (device pixels: twice the CSS width on a HiDPI screen). */
  width: number;
  /** Draw at most this many pages, from the first. */
  maxPages: number;
}

/** The part that runs pdf.js (`./pdfjs`), loaded on first use. */
export interface PdfEngine {
  /** Stops, and lets pdf.js's worker go, when `signal` aborts (the PDF took too long). */
  drawPages(bytes: Uint8Array, options: PdfDrawOptions & { signal?: AbortSignal }): Promise<PdfDrawing>;
}

/** pdf.js's exceptions by name (the classes live in the lazily loaded chunk). */
export function toPdfError(e: unknown): PdfError {
  if (e instanceof PdfError) return e;
  const name = e instanceof Error || (typeof e === 'object' && e !== null) ? String((e as { name?: unknown }).name ?? '') : '';
  const message = e instanceof Error ? e.message : typeof e === 'string' ? e : String((e as { message?: unknown } | null)?.message ?? e);
  if (name === 'PasswordException') return new PdfError('encrypted', message || 'the PDF needs a password');
  if (name === 'InvalidPDFException' || name === 'FormatError') return new PdfError('damaged', message || 'not a readable PDF');
  return new PdfError('failed', message || 'the PDF could not be drawn');
}

/** What the card says when a PDF could not be drawn, in a few words. */
export const PDF_FAILURE_WORDS: Record<PdfFailure, string> = {
  encrypted: 'Password-protected: no preview',
  damaged: 'Damaged PDF: no preview',
  failed: 'No preview',
};

/** What the viewer says, in a sentence. */
export function pdfFailureSentence(reason: PdfFailure): string {
  switch (reason) {
    case 'encrypted':
      return 'This PDF is password-protected, so Dossier cannot draw its pages. The file itself is kept in the data directory.';
    case 'damaged':
      return 'This file could not be read as a PDF: it may be damaged or incomplete. The file itself is kept in the data directory.';
    case 'failed':
      return 'Dossier could not draw this PDF. The file itself is kept in the data directory.';
  }
}

let engine: Promise<PdfEngine> | null = null;

function loadEngine(): Promise<PdfEngine> {
  if (!engine) {
    engine = import('./pdfjs');
    // A failed load (a chunk missing) is not remembered: the next PDF tries again.
    engine.catch(() => {
      engine = null;
    });
  }
  return engine;
}

// One PDF is drawn at a time: drawing runs on the main thread (the parsing in pdf.js's worker),
// and a page of thumbnails should not stall the window while it fills in.
let queue: Promise<unknown> = Promise.resolve();

/**
 * A PDF still not drawn after this long is given up (`failed`), so that one odd file cannot hold
 * up every PDF after it. Generous: pdf.js's plain-JS JPEG 2000 decoder is slow on big scans.
 */
export const PDF_DRAW_TIMEOUT_MS = 30_000;

/**
 * Draws the first `maxPages` pages of a PDF `width` pixels wide. Rejects with a `PdfError`
 * (`encrypted`, `damaged`, `failed`). `bytes` may be handed to pdf.js's worker (detached).
 */
export function drawPdfPages(bytes: Uint8Array, options: PdfDrawOptions, timeoutMs = PDF_DRAW_TIMEOUT_MS): Promise<PdfDrawing> {
  const run = queue.then(async () => {
    const stop = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        stop.abort();
        reject(new PdfError('failed', `the PDF was not drawn within ${Math.round(timeoutMs / 1000)} s`));
      }, timeoutMs);
    });
    try {
      const pdfjs = await loadEngine();
      return await Promise.race([pdfjs.drawPages(bytes, { ...options, signal: stop.signal }), late]);
    } catch (e) {
      throw toPdfError(e);
    } finally {
      clearTimeout(timer);
    }
  });
  queue = run.catch(() => undefined);
  return run;
}
