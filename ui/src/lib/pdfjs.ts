// The only module that touches pdf.js. It is imported dynamically by `./pdf`, so pdf.js lands in a
// chunk of its own that loads the first time a PDF is shown; tests replace this module.
//
// Configured for the window's Content Security Policy (src-tauri/tauri.conf.json):
// - The legacy build: it carries polyfills for the very new JavaScript that the modern build
//   assumes (Map.prototype.getOrInsertComputed, Math.sumPrecise, ...), which WebKitGTK lacks.
// - No eval: pdf.js 6 has no code path that evaluates strings (the PostScript-function compiler
//   and its `isEvalSupported` option are gone); `pdfjs.test.ts` checks the shipped files for it.
// - The worker is a same-origin file of the build (`?url`: copied as it is into dist/assets), so
//   `script-src 'self'` allows it. Where the worker cannot start, pdf.js imports the same file
//   on the main thread instead (its "fake worker"): slower, still no eval and nothing remote.
// - No WebAssembly (`useWasm: false`): it would need 'wasm-unsafe-eval'. JPEG 2000, JBIG2 and
//   CCITT images (common in scans) are then decoded by pdf.js's plain-JS decoders, shipped as
//   same-origin files under dist/assets/pdfjs/ (vite.config.ts keeps their names).
// - Nothing fetched: `connect-src` has no 'self', so no CMaps, standard-font data or ICC profiles
//   (`useWorkerFetch: false`, their URLs unset). Fonts a PDF does not embed are drawn with the
//   system's fonts; text that needs a predefined CJK CMap is left out; the page still draws.
import type { PDFDocumentProxy } from 'pdfjs-dist/legacy/build/pdf.mjs';
import { GlobalWorkerOptions, PDFWorker, VerbosityLevel, getDocument } from 'pdfjs-dist/legacy/build/pdf.mjs';
import workerUrl from 'pdfjs-dist/legacy/build/pdf.worker.min.mjs?url';
import jbig2Url from 'pdfjs-dist/wasm/jbig2_nowasm_fallback.js?url';
import openjpegUrl from 'pdfjs-dist/wasm/openjpeg_nowasm_fallback.js?url';

import type { PdfDrawOptions, PdfDrawing, PdfPageImage } from './pdf';
import { PdfError } from './pdf';

GlobalWorkerOptions.workerSrc = workerUrl;

/** The folder holding both plain-JS image decoders under their own names, or undefined. */
function decoderFolder(): string | undefined {
  const openjpeg = new URL(openjpegUrl, document.baseURI);
  const jbig2 = new URL(jbig2Url, document.baseURI);
  const folder = new URL('.', openjpeg).href;
  if (openjpeg.pathname.endsWith('/openjpeg_nowasm_fallback.js') && jbig2.pathname.endsWith('/jbig2_nowasm_fallback.js') && new URL('.', jbig2).href === folder) {
    return folder;
  }
  console.warn('pdf.js image decoders are not where pdf.js looks for them: JPEG 2000, JBIG2 and CCITT images will not draw');
  return undefined;
}

const wasmUrl = decoderFolder();

/** One worker for every document, started on first use (and anew after one was given up). */
let worker: PDFWorker | null = null;

function sharedWorker(): PDFWorker {
  if (!worker || worker.destroyed) worker = new PDFWorker({ verbosity: VerbosityLevel.ERRORS });
  return worker;
}

function stopped(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new PdfError('failed', 'drawing the PDF was given up');
}

/** A page is drawn at most this many times as tall as it is wide (a till receipt is cut short). */
const MAX_PAGE_RATIO = 4;

function toPng(canvas: HTMLCanvasElement): Promise<Blob> {
  return new Promise((resolve, reject) => {
    canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new PdfError('failed', 'the page could not be turned into a picture'))), 'image/png');
  });
}

async function drawPage(doc: PDFDocumentProxy, pageNumber: number, width: number): Promise<PdfPageImage> {
  const page = await doc.getPage(pageNumber);
  try {
    const natural = page.getViewport({ scale: 1 });
    const viewport = page.getViewport({ scale: width / natural.width });
    const canvas = document.createElement('canvas');
    canvas.width = Math.max(1, Math.round(viewport.width));
    canvas.height = Math.max(1, Math.min(Math.round(viewport.height), canvas.width * MAX_PAGE_RATIO));
    await page.render({ canvas, viewport, background: '#ffffff' }).promise;
    const blob = await toPng(canvas);
    const drawn = { blob, width: canvas.width, height: canvas.height };
    // Let the pixels go at once (WebKit keeps canvas memory until the element is collected).
    canvas.width = 0;
    canvas.height = 0;
    return drawn;
  } finally {
    page.cleanup();
  }
}

export async function drawPages(bytes: Uint8Array, { width, maxPages, signal }: PdfDrawOptions & { signal?: AbortSignal }): Promise<PdfDrawing> {
  const own = sharedWorker();
  const task = getDocument({
    data: bytes,
    worker: own,
    useWasm: false,
    wasmUrl,
    useWorkerFetch: false,
    useSystemFonts: true,
    enableXfa: false,
    disableWorkerRendering: true,
    verbosity: VerbosityLevel.ERRORS,
  });
  // Given up (too slow): the worker may be stuck in this file, so the next PDF gets a new one.
  const giveUp = () => {
    void task.destroy();
    own.destroy();
  };
  signal?.addEventListener('abort', giveUp, { once: true });
  try {
    stopped(signal);
    const doc = await task.promise;
    const pageCount = doc.numPages;
    if (pageCount < 1) throw new PdfError('damaged', 'the PDF has no pages');
    const pages: PdfPageImage[] = [];
    for (let n = 1; n <= Math.min(pageCount, maxPages); n += 1) {
      stopped(signal);
      pages.push(await drawPage(doc, n, width));
    }
    return { pageCount, pages };
  } finally {
    signal?.removeEventListener('abort', giveUp);
    // Frees the document in the worker; the shared worker itself stays unless this was given up.
    if (signal?.aborted) giveUp();
    else await task.destroy();
  }
}
