import { render, renderHook, screen, waitFor } from '@testing-library/react';
import type { ReactNode } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { BackendProvider } from '../backend/context';
import { MemoryBackend } from '../backend/memory';
import { ScanThumb, ScanViewer } from '../components/Scan';
import { formatBytes } from '../format';
import type { PdfDrawing } from './pdf';
import { drawPages } from './pdfjs';
import { useFilePreview } from './useFilePreview';

// `./pdfjs` (pdf.js itself) is replaced for every test in src/test/setup.ts: two pages, drawn.
const draw = vi.mocked(drawPages);

function pdfjsError(name: string, message: string): Error {
  const e = new Error(message);
  e.name = name;
  return e;
}

function page(width = 120, height = 155) {
  return { blob: new Blob([new Uint8Array([1, 2, 3])], { type: 'image/png' }), width, height };
}

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

beforeEach(() => {
  draw.mockClear();
});

function wrapperFor(backend: MemoryBackend) {
  return ({ children }: { children: ReactNode }) => <BackendProvider backend={backend}>{children}</BackendProvider>;
}

const blobUrls = { create: URL.createObjectURL, revoke: URL.revokeObjectURL };

afterEach(() => {
  URL.createObjectURL = blobUrls.create;
  URL.revokeObjectURL = blobUrls.revoke;
  vi.restoreAllMocks();
});

describe('scan previews', () => {
  it('reads a stored scan once per reference and shows images from a Blob URL revoked on unmount', async () => {
    const backend = new MemoryBackend();
    const png = await backend.attachFile('/scans/front.png');
    const reads = vi.spyOn(backend, 'readFile');
    let n = 0;
    URL.createObjectURL = vi.fn(() => `blob:preview-${(n += 1)}`);
    URL.revokeObjectURL = vi.fn();
    const wrapper = wrapperFor(backend);
    const first = renderHook(() => useFilePreview(png.reference), { wrapper });
    const second = renderHook(() => useFilePreview(png.reference), { wrapper });
    await waitFor(() => expect(first.result.current.status).toBe('image'));
    await waitFor(() => expect(second.result.current.status).toBe('image'));
    expect(first.result.current).toMatchObject({ status: 'image', mediaType: 'image/png', url: 'blob:preview-1' });
    expect(reads).toHaveBeenCalledTimes(1);
    first.unmount();
    expect(URL.revokeObjectURL).toHaveBeenCalledWith('blob:preview-1');
    expect(URL.revokeObjectURL).not.toHaveBeenCalledWith('blob:preview-2');
  });

  it('falls back to a data: URL where Blob URLs are missing', async () => {
    const backend = new MemoryBackend();
    const png = await backend.attachFile('/scans/front.webp');
    (URL as { createObjectURL?: unknown }).createObjectURL = undefined;
    const { result } = renderHook(() => useFilePreview(png.reference), { wrapper: wrapperFor(backend) });
    await waitFor(() => expect(result.current.status).toBe('image'));
    expect(result.current.status === 'image' && result.current.url).toMatch(/^data:image\/png;base64,iVBORw0KGgo/);

    const pdf = await backend.attachFile('/scans/statement.pdf');
    const drawn = renderHook(() => useFilePreview(pdf.reference), { wrapper: wrapperFor(backend) });
    await waitFor(() => expect(drawn.result.current.status).toBe('pdf'));
    expect(drawn.result.current.status === 'pdf' && drawn.result.current.pages[0]!.url).toBe('data:image/png;base64,iVBORw==');
  });

  it('draws a PDF\'s first page as its thumbnail from the read bytes, and never embeds it', async () => {
    const backend = new MemoryBackend();
    const pdf = await backend.attachFile('/scans/bank-statement.pdf');
    render(<ScanThumb reference={pdf.reference} name="bank-statement.pdf" fallbackName="Evidence" testId="thumb" />, { wrapper: wrapperFor(backend) });
    await waitFor(() => expect(screen.getByTestId('thumb').getAttribute('data-state')).toBe('pdf'));
    const thumb = screen.getByTestId('thumb');
    expect(thumb.getAttribute('data-pdf')).toBe('drawn');
    expect(thumb.getAttribute('data-pages')).toBe('2');
    const img = screen.getByAltText('First page of bank-statement.pdf');
    expect(img.getAttribute('src')).toMatch(/^blob:/);
    expect(img.getAttribute('style')).toContain('height: 155px');
    expect(thumb.textContent).toContain('bank-statement.pdf');
    expect(thumb.textContent).toContain(`PDF · 2 pages · ${formatBytes(pdf.size)}`);
    expect(document.querySelector('iframe, embed, object')).toBeNull();
    // One page, 120 CSS pixels wide (jsdom's devicePixelRatio is 1), from the PDF's own bytes.
    expect(draw).toHaveBeenCalledTimes(1);
    const [bytes, options] = draw.mock.calls[0]!;
    expect(options).toMatchObject({ width: 120, maxPages: 1 });
    expect(new TextDecoder().decode(bytes.slice(0, 5))).toBe('%PDF-');
  });

  it('never sends images to pdf.js', async () => {
    const backend = new MemoryBackend();
    const png = await backend.attachFile('/scans/front.png');
    render(<ScanThumb reference={png.reference} fallbackName="Scan (front)" testId="thumb" />, { wrapper: wrapperFor(backend) });
    await waitFor(() => expect(screen.getByTestId('thumb').getAttribute('data-state')).toBe('image'));
    expect(screen.getByTestId('thumb').getAttribute('data-pdf')).toBeNull();
    expect(draw).not.toHaveBeenCalled();
  });

  it('shows the card while the PDF is drawn', async () => {
    const backend = new MemoryBackend();
    const pdf = await backend.attachFile('/scans/slow.pdf');
    const later = deferred<PdfDrawing>();
    draw.mockImplementationOnce(() => later.promise);
    render(<ScanThumb reference={pdf.reference} name="slow.pdf" fallbackName="Evidence" testId="thumb" />, { wrapper: wrapperFor(backend) });
    try {
      await waitFor(() => expect(screen.getByTestId('thumb').getAttribute('data-pdf')).toBe('rendering'));
      const thumb = screen.getByTestId('thumb');
      expect(thumb.getAttribute('data-state')).toBe('file');
      expect(thumb.getAttribute('aria-busy')).toBe('true');
      expect(thumb.textContent).toContain(`PDF · slow.pdf · ${formatBytes(pdf.size)}`);
    } finally {
      // PDFs are drawn one at a time: never leave the next test waiting behind this one.
      later.resolve({ pageCount: 1, pages: [page()] });
    }
    await waitFor(() => expect(screen.getByTestId('thumb').getAttribute('data-state')).toBe('pdf'));
    expect(screen.getByTestId('thumb').getAttribute('aria-busy')).toBeNull();
  });

  it('falls back to the card with the reason when a PDF cannot be drawn', async () => {
    const backend = new MemoryBackend();
    const wrapper = wrapperFor(backend);
    const cases = [
      { path: '/scans/locked.pdf', error: pdfjsError('PasswordException', 'No password given'), state: 'encrypted', words: 'Password-protected: no preview' },
      { path: '/scans/broken.pdf', error: pdfjsError('InvalidPDFException', 'Invalid PDF structure.'), state: 'damaged', words: 'Damaged PDF: no preview' },
      { path: '/scans/odd.pdf', error: new Error('canvas is not supported'), state: 'failed', words: 'No preview' },
    ];
    for (const c of cases) {
      const pdf = await backend.attachFile(c.path);
      draw.mockRejectedValueOnce(c.error);
      const name = c.path.split('/').pop()!;
      render(<ScanThumb reference={pdf.reference} name={name} fallbackName="Evidence" testId={`thumb-${c.state}`} />, { wrapper });
      await waitFor(() => expect(screen.getByTestId(`thumb-${c.state}`).getAttribute('data-pdf')).toBe(c.state));
      const thumb = screen.getByTestId(`thumb-${c.state}`);
      expect(thumb.getAttribute('data-state')).toBe('file');
      expect(thumb.textContent).toContain(`PDF · ${name} · ${formatBytes(pdf.size)}`);
      expect(thumb.textContent).toContain(c.words);
      expect(thumb.querySelector('.thumb-note')?.getAttribute('title')).toBe(c.error.message);
    }
    expect(screen.getByTestId('thumb-failed').textContent).not.toContain('Password');
  });

  it('remembers that a PDF is locked or damaged, and tries an unexpected failure again', async () => {
    const backend = new MemoryBackend();
    const wrapper = wrapperFor(backend);
    const locked = await backend.attachFile('/scans/locked.pdf');
    const odd = await backend.attachFile('/scans/odd.pdf');
    draw.mockRejectedValueOnce(pdfjsError('PasswordException', 'No password given'));
    const first = render(<ScanThumb reference={locked.reference} fallbackName="Evidence" testId="locked" />, { wrapper });
    await waitFor(() => expect(screen.getByTestId('locked').getAttribute('data-pdf')).toBe('encrypted'));
    first.unmount();
    render(<ScanThumb reference={locked.reference} fallbackName="Evidence" testId="locked-again" />, { wrapper });
    await waitFor(() => expect(screen.getByTestId('locked-again').getAttribute('data-pdf')).toBe('encrypted'));
    expect(draw).toHaveBeenCalledTimes(1);

    draw.mockRejectedValueOnce(new Error('Worker was destroyed'));
    const second = render(<ScanThumb reference={odd.reference} fallbackName="Evidence" testId="odd" />, { wrapper });
    await waitFor(() => expect(screen.getByTestId('odd').getAttribute('data-pdf')).toBe('failed'));
    second.unmount();
    render(<ScanThumb reference={odd.reference} fallbackName="Evidence" testId="odd-again" />, { wrapper });
    await waitFor(() => expect(screen.getByTestId('odd-again').getAttribute('data-state')).toBe('pdf'));
    expect(draw).toHaveBeenCalledTimes(3);
  });

  it('draws a PDF once per reference and size, and revokes each instance\'s Blob URLs on unmount', async () => {
    const backend = new MemoryBackend();
    const wrapper = wrapperFor(backend);
    const pdf = await backend.attachFile('/scans/statement.pdf');
    const reads = vi.spyOn(backend, 'readFile');
    let n = 0;
    URL.createObjectURL = vi.fn(() => `blob:page-${(n += 1)}`);
    URL.revokeObjectURL = vi.fn();
    const first = render(<ScanThumb reference={pdf.reference} fallbackName="Evidence" testId="a" />, { wrapper });
    render(<ScanThumb reference={pdf.reference} fallbackName="Evidence" testId="b" />, { wrapper });
    await waitFor(() => expect(screen.getByTestId('a').getAttribute('data-state')).toBe('pdf'));
    await waitFor(() => expect(screen.getByTestId('b').getAttribute('data-state')).toBe('pdf'));
    expect(draw).toHaveBeenCalledTimes(1);
    expect(reads).toHaveBeenCalledTimes(1);
    const urlA = screen.getByTestId('a').querySelector('img')!.getAttribute('src')!;
    const urlB = screen.getByTestId('b').querySelector('img')!.getAttribute('src')!;
    expect(urlA).toMatch(/^blob:page-/);
    expect(urlB).toMatch(/^blob:page-/);
    expect(urlA).not.toBe(urlB);
    first.unmount();
    expect(URL.revokeObjectURL).toHaveBeenCalledWith(urlA);
    expect(URL.revokeObjectURL).not.toHaveBeenCalledWith(urlB);

    // The viewer draws the first three pages wider: a drawing of its own, from the cached bytes.
    const viewer = render(<ScanViewer reference={pdf.reference} name="statement.pdf" onClose={() => undefined} />, { wrapper });
    await screen.findByTestId('file-viewer-pdf');
    expect(draw).toHaveBeenCalledTimes(2);
    expect(draw.mock.calls[1]![1]).toMatchObject({ width: 690, maxPages: 3 });
    expect(reads).toHaveBeenCalledTimes(1);
    const pageUrls = ['file-viewer-page-1', 'file-viewer-page-2'].map((id) => screen.getByTestId(id).querySelector('img')!.getAttribute('src')!);
    viewer.unmount();
    for (const url of pageUrls) expect(URL.revokeObjectURL).toHaveBeenCalledWith(url);
    expect(URL.revokeObjectURL).not.toHaveBeenCalledWith(urlB);
  });

  it('shows the first pages in the viewer with "Page N of M", and says when there are more', async () => {
    const backend = new MemoryBackend();
    const wrapper = wrapperFor(backend);
    const pdf = await backend.attachFile('/scans/long.pdf');
    draw.mockResolvedValueOnce({ pageCount: 7, pages: [page(690, 893), page(690, 893), page(690, 488)] });
    render(<ScanViewer reference={pdf.reference} name="long.pdf" onClose={() => undefined} />, { wrapper });
    const pages = await screen.findByTestId('file-viewer-pdf');
    expect(pages.getAttribute('data-pages')).toBe('7');
    for (const i of [1, 2, 3]) {
      expect(screen.getByTestId(`file-viewer-page-${i}`).textContent).toBe(`Page ${i} of 7`);
      expect(screen.getByAltText(`Page ${i} of 7: long.pdf`)).toBeTruthy();
    }
    expect(screen.queryByTestId('file-viewer-page-4')).toBeNull();
    expect(screen.getByTestId('file-viewer-more-pages').textContent).toContain('The first 3 pages of 7');
    expect(screen.queryByTestId('file-viewer-no-preview')).toBeNull();
  });

  it('explains in the viewer why a PDF is not drawn', async () => {
    const backend = new MemoryBackend();
    const wrapper = wrapperFor(backend);
    const pdf = await backend.attachFile('/scans/locked.pdf');
    draw.mockRejectedValueOnce(pdfjsError('PasswordException', 'No password given'));
    render(<ScanViewer reference={pdf.reference} name="locked.pdf" onClose={() => undefined} />, { wrapper });
    await waitFor(() => expect(screen.getByTestId('file-viewer-no-preview').getAttribute('data-pdf')).toBe('encrypted'));
    const card = screen.getByTestId('file-viewer-no-preview');
    expect(card.textContent).toContain(`PDF · locked.pdf · ${formatBytes(pdf.size)}`);
    expect(card.textContent).toContain('password-protected');
    expect(screen.getByTestId('file-viewer-pdf-reason').textContent).toBe('pdf.js: No password given');
    expect(screen.queryByTestId('file-viewer-pdf')).toBeNull();
  });

  it('reads nothing for references that are not stored scans, and reports a missing scan', async () => {
    const backend = new MemoryBackend();
    const reads = vi.spyOn(backend, 'readFile');
    const wrapper = wrapperFor(backend);
    const provider = renderHook(() => useFilePreview('cybrid-doc-42'), { wrapper });
    expect(provider.result.current.status).toBe('none');
    expect(reads).not.toHaveBeenCalled();

    render(<ScanThumb reference={`file:${'cd'.repeat(32)}`} fallbackName="Scan (front)" testId="missing" />, { wrapper });
    await waitFor(() => expect(screen.getByTestId('missing').getAttribute('data-state')).toBe('error'));
    expect(screen.getByTestId('missing').getAttribute('data-code')).toBe('file_not_found');
    expect(screen.getByTestId('missing').textContent).toContain('Scan (front)');
    // A failed read is not remembered: the next preview asks again.
    expect(reads).toHaveBeenCalledTimes(1);
    render(<ScanThumb reference={`file:${'cd'.repeat(32)}`} fallbackName="Scan (back)" testId="again" />, { wrapper });
    await waitFor(() => expect(screen.getByTestId('again').getAttribute('data-state')).toBe('error'));
    expect(reads).toHaveBeenCalledTimes(2);
  });
});
