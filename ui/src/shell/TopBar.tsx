import { useEffect, useRef, useState } from 'react';
import type { KeyboardEvent } from 'react';

import type { BackendError } from '../backend/Backend';
import { toBackendError } from '../backend/Backend';
import { useAppInfo, useBackend } from '../backend/context';
import { codeWords } from '../backend/vocab';
import type { SyncStatusView } from '../bindings/SyncStatusView';
import type { QueueItem } from '../bindings/QueueItem';
import { StateChip } from '../components/StateChip';
import { SEARCH_LIMIT, SEARCH_MAX_CHARS, searchCustomers } from '../customers/search';
import { href, navigate } from './router';

function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  const tag = target.tagName;
  return tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT' || target.isContentEditable;
}

export function GlobalSearch() {
  const backend = useBackend();
  const inputRef = useRef<HTMLInputElement>(null);
  const [text, setText] = useState('');
  const [results, setResults] = useState<QueueItem[] | null>(null);
  const [error, setError] = useState<BackendError | null>(null);
  const [searching, setSearching] = useState(false);
  const [active, setActive] = useState(0);
  const [open, setOpen] = useState(false);

  useEffect(() => {
    const onKey = (e: globalThis.KeyboardEvent) => {
      if (e.key === '/' && !isTyping(e.target) && !e.metaKey && !e.ctrlKey && !e.altKey) {
        e.preventDefault();
        inputRef.current?.focus();
        inputRef.current?.select();
      }
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, []);

  useEffect(() => {
    const q = text.trim();
    if (!q) {
      setResults(null);
      setError(null);
      return;
    }
    let cancelled = false;
    const timer = setTimeout(() => {
      setSearching(true);
      searchCustomers(backend, q)
        .then((r) => {
          if (cancelled) return;
          setResults(r);
          setError(null);
          setActive(0);
        })
        .catch((e: unknown) => {
          if (cancelled) return;
          setResults([]);
          setError(toBackendError(e));
        })
        .finally(() => !cancelled && setSearching(false));
    }, 200);
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
  }, [text, backend]);

  const go = (item: QueueItem) => {
    setOpen(false);
    setText('');
    navigate(href('customers', item.id));
  };

  const onKeyDown = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key === 'Escape') {
      setOpen(false);
      setText('');
      inputRef.current?.blur();
    } else if (e.key === 'ArrowDown' && results?.length) {
      e.preventDefault();
      setActive((i) => Math.min(results.length - 1, i + 1));
    } else if (e.key === 'ArrowUp' && results?.length) {
      e.preventDefault();
      setActive((i) => Math.max(0, i - 1));
    } else if (e.key === 'Enter' && results?.[active]) {
      e.preventDefault();
      go(results[active]);
    }
  };

  const showList = open && text.trim() !== '';
  return (
    <div className="search" role="search">
      <label htmlFor="global-search" className="sr-only">
        Search customers by name, email or ref id
      </label>
      <input
        id="global-search"
        ref={inputRef}
        type="search"
        placeholder="Search name, email, ref id, document no."
        value={text}
        autoComplete="off"
        maxLength={SEARCH_MAX_CHARS}
        role="combobox"
        aria-expanded={showList}
        aria-controls="global-search-results"
        aria-activedescendant={showList && results?.[active] ? `search-opt-${results[active].id}` : undefined}
        onChange={(e) => {
          setText(e.target.value);
          setOpen(true);
        }}
        onFocus={() => setOpen(true)}
        onBlur={() => setTimeout(() => setOpen(false), 150)}
        onKeyDown={onKeyDown}
        data-testid="global-search"
      />
      {!text && <kbd aria-hidden="true">/</kbd>}
      {showList && (
        <div className="search-results" id="global-search-results" role="listbox" data-testid="global-search-results">
          {searching && !results && <div className="search-item muted">Searching…</div>}
          {error && (
            <div className="search-item muted" data-testid="global-search-error" data-code={error.body.reasons[0]?.code ?? error.code}>
              {errorWords(error)} <code className="code-small">{error.body.reasons[0]?.code ?? error.code}</code>
            </div>
          )}
          {!error && results && results.length === 0 && (
            <div className="search-item muted" data-testid="global-search-empty">
              No customer matches “{text.trim()}”.
            </div>
          )}
          {results?.map((r, i) => (
            <div
              key={r.id}
              id={`search-opt-${r.id}`}
              role="option"
              aria-selected={i === active}
              className="search-item"
              onMouseDown={(e) => {
                e.preventDefault();
                go(r);
              }}
              data-testid={`search-result-${r.ref_id}`}
              data-id={r.id}
            >
              <strong>{r.name || '(no name)'}</strong>
              <span className="muted mono">{r.ref_id}</span>
              <span className="spacer" />
              <StateChip kind="customer" value={r.state} />
            </div>
          ))}
          {results && results.length >= SEARCH_LIMIT && (
            <a
              className="search-item"
              href={`#/customers?${new URLSearchParams({ search: text.trim() }).toString()}`}
              onMouseDown={(e) => e.preventDefault()}
              onClick={() => {
                setOpen(false);
                setText('');
              }}
              data-testid="global-search-all"
            >
              The newest {SEARCH_LIMIT} are shown: see every match in Customers
            </a>
          )}
        </div>
      )}
    </div>
  );
}

/** A refused search in a few words: the reason's (say, too many words) before the error's. */
function errorWords(error: BackendError): string {
  const reason = error.body.reasons[0];
  if (reason) return `${reason.message.charAt(0).toUpperCase()}${reason.message.slice(1)}.`;
  return `${codeWords(error.code) ?? error.message}.`;
}

export function ProviderDots({ status }: { status: SyncStatusView | null }) {
  if (!status) return <div className="providers muted" data-testid="provider-dots">…</div>;
  if (!status.providers.length) {
    return (
      <div className="providers" data-testid="provider-dots">
        <a href={href('settings')} className="faint">No providers</a>
      </div>
    );
  }
  return (
    <div className="providers" data-testid="provider-dots">
      {status.providers.map((p) => {
        const state = !p.enabled ? 'disabled' : p.reachable === true ? 'online' : p.reachable === false ? 'offline' : 'unknown';
        return (
          <span key={p.name} className="provider-dot" title={`${p.name}: ${state}`} data-testid={`provider-dot-${p.name}`} data-state={state}>
            <span className={`dot${state === 'online' ? ' dot-online' : state === 'offline' ? ' dot-offline' : ''}`} aria-hidden="true" />
            {p.name}
            <span className="sr-only"> {state}</span>
          </span>
        );
      })}
    </div>
  );
}

export function TopBar({ status }: { status: SyncStatusView | null }) {
  const info = useAppInfo();
  const initials = (info?.actor ?? '?').slice(0, 2).toUpperCase();
  return (
    <header className="topbar">
      <GlobalSearch />
      <ProviderDots status={status} />
      <div className="user" data-testid="current-user" title="Signed in as">
        <span className="avatar" aria-hidden="true">{initials}</span>
        {info ? info.actor : '…'}
      </div>
    </header>
  );
}
