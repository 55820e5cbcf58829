import { render, renderHook, screen, waitFor } from '@testing-library/react';
import type { ReactNode } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { BackendProvider } from '../backend/context';
import { MemoryBackend } from '../backend/memory';
import { ScanThumb } from '../components/Scan';
import { useFilePreview } from './useFilePreview';

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
  });

  it('never embeds a PDF: it is a card with its type, name and size', async () => {
    const backend = new MemoryBackend();
    const pdf = await backend.attachFile('/scans/bank-statement.pdf');
    render(<ScanThumb reference={pdf.reference} name="bank-statement.pdf" fallbackName="Evidence" testId="thumb" />, { wrapper: wrapperFor(backend) });
    await waitFor(() => expect(screen.getByTestId('thumb').getAttribute('data-state')).toBe('file'));
    expect(screen.getByTestId('thumb').textContent).toContain(`PDF · bank-statement.pdf · ${pdf.size} B`);
    expect(document.querySelector('iframe, embed, object')).toBeNull();
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
