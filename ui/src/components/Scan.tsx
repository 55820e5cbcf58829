// Scans of identity documents and EDD evidence: a thumbnail and a viewer. The bytes come from
// `read_file` through `useFilePreview`; nothing is read from disk. PDFs are never embedded (the
// CSP forbids objects and frames): their first page (the viewer: first three) is drawn by pdf.js
// into a picture; while it is drawn, or when it cannot be, they show as "PDF · name · size".
import type { CSSProperties, ReactNode } from 'react';

import type { BackendError } from '../backend/Backend';
import { humanize } from '../backend/vocab';
import { formatBytes } from '../format';
import { PDF_FAILURE_WORDS, pdfFailureSentence } from '../lib/pdf';
import type { FilePreview, PdfPageView } from '../lib/useFilePreview';
import { PDF_THUMB, PDF_TYPE, PDF_VIEWER, isStoredReference, useFilePreview } from '../lib/useFilePreview';
import { Dialog } from './Dialog';
import { ErrorBanner, sentence } from './ErrorBanner';

/** The last part of a path or reference: `/scans/passport.jpg` → `passport.jpg`. */
export function fileName(reference: string): string {
  return reference.split(/[\\/]/).pop() || reference;
}

/** `file:1a2b3c4d…` for a stored reference (the full one goes in a tooltip), else as it is. */
export function shortReference(reference: string): string {
  return isStoredReference(reference) ? `${reference.slice(0, 13)}…` : reference;
}

/**
 * What a scan is called on screen: the name it was attached under when the screen knows it
 * (only while it is being attached: records keep the reference alone), else `fallback`
 * ("Scan (front)"), and for a reference that is not a stored scan, its last part.
 */
export function scanName(reference: string, name: string | null | undefined, fallback: string): string {
  if (name) return name;
  return isStoredReference(reference) ? fallback : fileName(reference);
}

/** `front` → `Scan (front)`: what a document's scan is called when its name is not known. */
export function scanFallback(role: string): string {
  return `Scan (${humanize(role).toLowerCase()})`;
}

function typeWord(mediaType: string): string {
  if (mediaType === PDF_TYPE) return 'PDF';
  const sub = mediaType.split('/')[1] ?? mediaType;
  return sub.toUpperCase();
}

export function PageIcon({ size = 20 }: { size?: number }) {
  return (
    <svg className="page-icon" width={size} height={size * 1.25} viewBox="0 0 16 20" aria-hidden="true" focusable="false">
      <path d="M1.5 1.5h8.5l4.5 4.5v12.5h-13z" fill="#fff" stroke="currentColor" strokeWidth="1.2" strokeLinejoin="round" />
      <path d="M10 1.5v4.5h4.5" fill="none" stroke="currentColor" strokeWidth="1.2" strokeLinejoin="round" />
      <path d="M4 10h8M4 12.5h8M4 15h5" stroke="currentColor" strokeWidth="1" />
    </svg>
  );
}

function pagesWord(n: number): string {
  return n === 1 ? '1 page' : `${n} pages`;
}

/** The caption under a thumbnail: "PNG · 1.2 MB", "PDF · 3 pages · 84 KB". (A card says it all.) */
function meta(preview: FilePreview): string | null {
  if (preview.status === 'image') return `${typeWord(preview.mediaType)} · ${formatBytes(preview.size)}`;
  if (preview.status === 'pdf') return `${typeWord(preview.mediaType)} · ${pagesWord(preview.pageCount)} · ${formatBytes(preview.size)}`;
  return null;
}

/** Thumbnails of pages are 120 px wide and as tall as the page, between 84 and 170 px (A4 is 170). */
const THUMB_WIDTH = 120;

function pageThumbStyle(page: PdfPageView): CSSProperties {
  const height = Math.round((THUMB_WIDTH * page.height) / Math.max(1, page.width));
  return { height: Math.min(170, Math.max(84, height)) };
}

function ThumbBody({ preview, name }: { preview: FilePreview; name: string }): ReactNode {
  switch (preview.status) {
    case 'image':
      return <img src={preview.url} alt={`Scan: ${name}`} className="thumb" />;
    case 'pdf': {
      const first = preview.pages[0]!;
      return <img src={first.url} alt={`First page of ${name}`} className="thumb thumb-page" style={pageThumbStyle(first)} />;
    }
    case 'file':
      return (
        <span className="thumb thumb-card">
          <PageIcon />
          <span>
            <strong>{typeWord(preview.mediaType)}</strong> · {name} · {formatBytes(preview.size)}
          </span>
          {preview.pdf && preview.pdf !== 'rendering' && (
            <span className="thumb-note" title={preview.pdfMessage ?? undefined}>
              {PDF_FAILURE_WORDS[preview.pdf]}
            </span>
          )}
        </span>
      );
    case 'loading':
      return <span className="thumb thumb-card faint">Loading…</span>;
    case 'error':
      return (
        <span className="thumb thumb-card thumb-missing">
          <span>Scan not available</span>
          <code className="code-small">{preview.error.code}</code>
        </span>
      );
    case 'none':
      return (
        <span className="thumb thumb-card">
          <PageIcon />
          <span>File · {name}</span>
        </span>
      );
  }
}

/** `data-pdf` on a PDF's thumbnail and viewer: `rendering`, `drawn`, or why not. */
function pdfState(preview: FilePreview): string | undefined {
  if (preview.status === 'pdf') return 'drawn';
  if (preview.status === 'file' && preview.pdf) return preview.pdf;
  return undefined;
}

export interface ScanThumbProps {
  reference: string;
  /** The attached file's original name, when this screen knows it. */
  name?: string | null;
  /** What to call it otherwise: "Scan (front)", "Evidence (source of funds)". */
  fallbackName: string;
  /** Opens the viewer; without it the thumbnail is not interactive. */
  onOpen?: () => void;
  testId?: string;
}

/**
 * Why a scan could not be attached, beside the path that was typed: the reason on `path`
 * (`unsupported_file_type`, `file_too_large`, `file_unreadable`) in the server's words, which
 * say how to fix it, with its code.
 */
export function AttachError({ error, id, testId }: { error: BackendError | null; id: string; testId: string }) {
  if (!error) return null;
  const reason = error.body.reasons.find((r) => r.field === 'path') ?? error.body.reasons[0];
  const code = reason?.code ?? error.code;
  return (
    <span id={id} className="field-error" role="alert" data-testid={testId} data-code={code}>
      <span>
        {sentence(reason?.message ?? error.message)} <code className="code-small">{code}</code>
      </span>
    </span>
  );
}

/** A scan's thumbnail with its name and "type · size" under it. */
export function ScanThumb({ reference, name, fallbackName, onOpen, testId }: ScanThumbProps) {
  const preview = useFilePreview(reference, PDF_THUMB);
  const shown = scanName(reference, name, fallbackName);
  const caption = meta(preview);
  const title = isStoredReference(reference) ? reference : `${reference} (not stored in Dossier: a provider's reference or an older path)`;
  // A card (a PDF not drawn, a missing scan, a provider reference) names the file itself;
  // images and drawn PDFs get a caption.
  const card = preview.status === 'file' || preview.status === 'none';
  const body = (
    <>
      <ThumbBody preview={preview} name={shown} />
      {!card && (
        <span className="scan-name" title={shown}>
          {shown}
        </span>
      )}
      {caption && <span className="scan-meta faint">{caption}</span>}
    </>
  );
  const common = {
    className: 'scan',
    title,
    'data-testid': testId,
    'data-state': preview.status,
    'data-code': preview.status === 'error' ? preview.error.code : undefined,
    'data-pdf': pdfState(preview),
    'data-pages': preview.status === 'pdf' ? preview.pageCount : undefined,
    'aria-busy': preview.status === 'loading' || (preview.status === 'file' && preview.pdf === 'rendering') ? true : undefined,
  };
  return onOpen ? (
    <button type="button" {...common} className="scan scan-button" onClick={onOpen} aria-label={`Open ${shown}`}>
      {body}
    </button>
  ) : (
    <span {...common}>{body}</span>
  );
}

/** A PDF's drawn pages, each with "Page N of M", and a word when there are more. */
function PdfPages({ pages, pageCount, name }: { pages: PdfPageView[]; pageCount: number; name: string }) {
  return (
    <div className="pdf-pages" data-testid="file-viewer-pdf" data-pages={pageCount}>
      {pages.map((page, i) => (
        <figure key={i} className="pdf-page" data-testid={`file-viewer-page-${i + 1}`}>
          <img src={page.url} alt={`Page ${i + 1} of ${pageCount}: ${name}`} className="pdf-page-image" />
          <figcaption className="faint">
            Page {i + 1} of {pageCount}
          </figcaption>
        </figure>
      ))}
      {pageCount > pages.length && (
        <p className="muted" data-testid="file-viewer-more-pages">
          The first {pagesWord(pages.length)} of {pageCount} are shown here. The whole file is kept in the data directory.
        </p>
      )}
    </div>
  );
}

function noPreviewText(preview: Extract<FilePreview, { status: 'file' | 'none' }>): string {
  if (preview.status === 'none') return "This reference is not a scan stored by Dossier (a provider's reference or an older path), so there is nothing to show.";
  if (preview.pdf === 'rendering') return 'Drawing the first pages…';
  if (preview.pdf) return pdfFailureSentence(preview.pdf);
  return 'Dossier shows images and PDFs only. The file itself is kept in the data directory.';
}

/** A scan at full size: images shown, PDFs as their first pages drawn, anything else as a card. */
export function ScanViewer({ reference, name, onClose }: { reference: string; name: string; onClose: () => void }) {
  const preview = useFilePreview(reference, PDF_VIEWER);
  return (
    <Dialog title={name} onClose={onClose} wide testId="file-viewer">
      {preview.status === 'image' && (
        <img src={preview.url} alt={`Scan: ${name}`} className="scan-full" data-testid="file-viewer-image" />
      )}
      {preview.status === 'pdf' && <PdfPages pages={preview.pages} pageCount={preview.pageCount} name={name} />}
      {preview.status === 'loading' && <p className="muted">Loading the scan…</p>}
      {preview.status === 'error' && <ErrorBanner error={preview.error} testId="file-viewer-error" />}
      {(preview.status === 'file' || preview.status === 'none') && (
        <div
          className="scan-card"
          data-testid="file-viewer-no-preview"
          data-pdf={pdfState(preview)}
          aria-busy={preview.status === 'file' && preview.pdf === 'rendering' ? true : undefined}
        >
          <PageIcon size={36} />
          <div>
            <p className="scan-card-title">
              {preview.status === 'file' ? (
                <>
                  <strong>{typeWord(preview.mediaType)}</strong> · {name} · {formatBytes(preview.size)}
                </>
              ) : (
                <>
                  <strong>File</strong> · {name}
                </>
              )}
            </p>
            <p className="muted">{noPreviewText(preview)}</p>
            {preview.status === 'file' && preview.pdf && preview.pdf !== 'rendering' && preview.pdfMessage && (
              <p className="faint" data-testid="file-viewer-pdf-reason">
                pdf.js: {preview.pdfMessage}
              </p>
            )}
          </div>
        </div>
      )}
      <p className="mono faint" style={{ overflowWrap: 'anywhere' }}>
        {reference}
      </p>
    </Dialog>
  );
}
