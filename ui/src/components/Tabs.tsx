import type { KeyboardEvent } from 'react';

export interface TabDef {
  id: string;
  label: string;
  count?: number | null;
}

/** Tabs as links (each tab has its own URL) with arrow-key movement between them. */
export function Tabs({ tabs, active, hrefFor, label }: { tabs: TabDef[]; active: string; hrefFor: (id: string) => string; label: string }) {
  const onKey = (e: KeyboardEvent<HTMLAnchorElement>, index: number) => {
    if (e.key !== 'ArrowRight' && e.key !== 'ArrowLeft') return;
    e.preventDefault();
    const next = tabs[(index + (e.key === 'ArrowRight' ? 1 : tabs.length - 1)) % tabs.length];
    if (!next) return;
    window.location.hash = hrefFor(next.id);
    const el = document.querySelector<HTMLElement>(`[data-testid="tab-${next.id}"]`);
    el?.focus();
  };
  return (
    <nav className="tabs" role="tablist" aria-label={label}>
      {tabs.map((t, i) => (
        <a
          key={t.id}
          role="tab"
          href={hrefFor(t.id)}
          aria-selected={t.id === active}
          className={`tab${t.id === active ? ' tab-active' : ''}`}
          data-testid={`tab-${t.id}`}
          onKeyDown={(e) => onKey(e, i)}
        >
          {t.label}
          {t.count !== undefined && t.count !== null && <span className="tab-count">{t.count}</span>}
        </a>
      ))}
    </nav>
  );
}
