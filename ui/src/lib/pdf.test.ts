import pdfjsMain from 'pdfjs-dist/legacy/build/pdf.mjs?raw';
import pdfjsWorker from 'pdfjs-dist/legacy/build/pdf.worker.min.mjs?raw';
import jbig2Decoder from 'pdfjs-dist/wasm/jbig2_nowasm_fallback.js?raw';
import openjpegDecoder from 'pdfjs-dist/wasm/openjpeg_nowasm_fallback.js?raw';
import pdfjsSource from './pdfjs.ts?raw';
import { beforeEach, describe, expect, it, vi } from 'vitest';

import type { PdfDrawing } from './pdf';
import { PdfError, drawPdfPages, toPdfError } from './pdf';
import { drawPages } from './pdfjs';

// `./pdfjs` is replaced in src/test/setup.ts (pdf.js needs a real browser).
const draw = vi.mocked(drawPages);

beforeEach(() => {
  draw.mockClear();
});

function named(name: string, message: string): Error {
  const e = new Error(message);
  e.name = name;
  return e;
}

describe('the PDF wrapper', () => {
  it("turns pdf.js's exceptions into reasons", () => {
    expect(toPdfError(named('PasswordException', 'No password given'))).toMatchObject({ reason: 'encrypted', message: 'No password given' });
    expect(toPdfError(named('InvalidPDFException', 'Invalid PDF structure.'))).toMatchObject({ reason: 'damaged' });
    expect(toPdfError(named('FormatError', 'Bad FCHECK in flate stream'))).toMatchObject({ reason: 'damaged' });
    expect(toPdfError(new Error('Setting up fake worker failed'))).toMatchObject({ reason: 'failed', message: 'Setting up fake worker failed' });
    expect(toPdfError('odd')).toMatchObject({ reason: 'failed', message: 'odd' });
    const own = new PdfError('damaged', 'the PDF has no pages');
    expect(toPdfError(own)).toBe(own);
  });

  it('loads pdf.js on first use and draws one PDF at a time', async () => {
    let release!: (d: PdfDrawing) => void;
    draw.mockImplementationOnce(() => new Promise<PdfDrawing>((resolve) => (release = resolve)));
    const first = drawPdfPages(new Uint8Array([1]), { width: 120, maxPages: 1 });
    const second = drawPdfPages(new Uint8Array([2]), { width: 120, maxPages: 1 });
    await vi.waitFor(() => expect(draw).toHaveBeenCalledTimes(1));
    // The second waits for the first.
    await new Promise((r) => setTimeout(r, 20));
    expect(draw).toHaveBeenCalledTimes(1);
    release({ pageCount: 1, pages: [] });
    await first;
    await second;
    expect(draw).toHaveBeenCalledTimes(2);
    expect(draw.mock.calls[1]![0]).toEqual(new Uint8Array([2]));
  });

  it('gives up a PDF that takes too long, stops pdf.js, and goes on with the next', async () => {
    let signal: AbortSignal | undefined;
    draw.mockImplementationOnce((_bytes, options) => {
      signal = options.signal;
      return new Promise<PdfDrawing>(() => undefined);
    });
    await expect(drawPdfPages(new Uint8Array([1]), { width: 120, maxPages: 1 }, 30)).rejects.toMatchObject({ reason: 'failed', message: 'the PDF was not drawn within 0 s' });
    expect(signal?.aborted).toBe(true);
    await expect(drawPdfPages(new Uint8Array([2]), { width: 120, maxPages: 1 })).resolves.toMatchObject({ pageCount: 2 });
  });

  it('rejects with a PdfError, and a failure does not hold up the next PDF', async () => {
    draw.mockRejectedValueOnce(named('PasswordException', 'No password given'));
    await expect(drawPdfPages(new Uint8Array([1]), { width: 120, maxPages: 1 })).rejects.toMatchObject({ name: 'PdfError', reason: 'encrypted' });
    await expect(drawPdfPages(new Uint8Array([2]), { width: 120, maxPages: 1 })).resolves.toMatchObject({ pageCount: 2 });
  });
});

describe('pdf.js under the Content Security Policy', () => {
  // `script-src 'self'` without 'unsafe-eval' or 'wasm-unsafe-eval': what ships must not need either.
  const EVAL = /(?<![\w$.])(?:eval\s*\(|new\s+Function\s*\(|Function\s*\(\s*["'`]|set(?:Timeout|Interval)\s*\(\s*["'`])/g;

  it('ships no code that evaluates strings (only core-js\'s globalThis fallback, never reached)', () => {
    const shipped = { 'legacy/build/pdf.mjs': pdfjsMain, 'legacy/build/pdf.worker.min.mjs': pdfjsWorker, jbig2Decoder, openjpegDecoder };
    for (const [file, text] of Object.entries(shipped)) {
      const hits = Array.from(text.matchAll(EVAL), (m) => text.slice(m.index, m.index + 26));
      // core-js looks for the global object: globalThis, then window, self, global, `this`, and
      // only then Function('return this'); every engine that runs pdf.js 6 has globalThis.
      const unexpected = hits.filter((h) => !/^Function\(["']return this["']\)\(\)/.test(h));
      expect({ file, unexpected }).toEqual({ file, unexpected: [] });
    }
    expect(pdfjsMain.includes('check(typeof globalThis ==')).toBe(true);
  });

  it('is configured to fetch nothing and compile no WebAssembly', () => {
    // pdf.js compiles WebAssembly only when `useWasm` is on, and fetches CMaps, fonts and ICC
    // profiles only from the URLs it is given.
    expect(pdfjsSource).toMatch(/useWasm: false/);
    expect(pdfjsSource).toMatch(/useWorkerFetch: false/);
    expect(pdfjsSource).not.toMatch(/cMapUrl|standardFontDataUrl|iccUrl|rendererSrc/);
    expect(pdfjsWorker).toContain('WebAssembly.instantiate');
  });
});
