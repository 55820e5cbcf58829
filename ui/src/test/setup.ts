import { cleanup } from '@testing-library/react';
import { afterEach, vi } from 'vitest';

import type { PdfDrawOptions, PdfDrawing } from '../lib/pdf';

// pdf.js cannot run in jsdom (no canvas, no module workers): every test gets this stand-in for the
// module that runs it, which "draws" each page as a tiny PNG. Tests that care replace
// `drawPages` (`vi.mocked(drawPages).mockRejectedValueOnce(...)`) and count its calls.
vi.mock('../lib/pdfjs', () => ({
  drawPages: vi.fn(async (_bytes: Uint8Array, { width, maxPages }: PdfDrawOptions): Promise<PdfDrawing> => {
    const pageCount = 2;
    const pages = Array.from({ length: Math.min(pageCount, maxPages) }, () => ({
      blob: new Blob([new Uint8Array([0x89, 0x50, 0x4e, 0x47])], { type: 'image/png' }),
      width,
      height: Math.round(width * 1.294),
    }));
    return { pageCount, pages };
  }),
}));

afterEach(() => {
  cleanup();
  window.localStorage.clear();
});
