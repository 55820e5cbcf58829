import { useCallback, useEffect, useState } from 'react';

import { PageBoundary } from './components/PageBoundary';
import type { Backend } from './backend/Backend';
import type { AppInfo } from './bindings/AppInfo';
import { AppInfoContext, BackendProvider } from './backend/context';
import { CaseReviewPage } from './cases/CaseReviewPage';
import { CasesPage } from './cases/CasesPage';
import { ToastProvider } from './components/Toast';
import { CustomerPage } from './customers/CustomerPage';
import { CustomersPage } from './customers/CustomersPage';
import { MyQueuePage } from './customers/MyQueuePage';
import { Dashboard } from './dashboard/Dashboard';
import { OnboardPage } from './onboarding/OnboardPage';
import { Layout } from './shell/Layout';
import { useRoute } from './shell/router';
import { SettingsPage } from './settings/SettingsPage';
import { SyncPage } from './sync/SyncPage';
import { ApprovalsPage } from './approvals/ApprovalsPage';
import type { SessionState } from './bindings/SessionState';
import { LockScreen } from './session/LockScreen';
import { useIdleLock } from './session/idle';
import { LockContext } from './session/lock';

function Routes() {
  const route = useRoute();
  const [head = 'dashboard', id, sub] = route.segments;
  let section = head;
  let page;
  switch (head) {
    case 'queue':
      page = <MyQueuePage />;
      break;
    case 'customers':
      page = id ? <CustomerPage id={id} tab={sub ?? 'overview'} /> : <CustomersPage query={route.query} />;
      break;
    case 'onboard':
      page = <OnboardPage key={route.query.get('new') ?? 'onboard'} />;
      break;
    case 'cases':
      page = id ? <CaseReviewPage id={id} /> : <CasesPage />;
      break;
    case 'sync':
      page = <SyncPage />;
      break;
    case 'settings':
      page = <SettingsPage />;
      break;
    case 'approvals':
      page = <ApprovalsPage />;
      break;
    default:
      section = 'dashboard';
      page = <Dashboard />;
  }
  return { section, page };
}

function Shell({ testDouble }: { testDouble: boolean }) {
  const { section, page } = Routes();
  return (
    <Layout section={section} testDouble={testDouble}>
      <PageBoundary resetKey={window.location.hash}>{page}</PageBoundary>
    </Layout>
  );
}

export function App({ backend, testDouble = false }: { backend: Backend; testDouble?: boolean }) {
  const [session, setSession] = useState<SessionState | null>(null);
  const [info, setInfo] = useState<AppInfo | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  useEffect(() => {
    backend
      .sessionState()
      .then((s) => {
        setSession(s);
        if (s.unlocked) return backend.appInfo().then(setInfo);
        return undefined;
      })
      .catch(() => setInfo({ data_dir: '', version: '?', actor: 'unknown', roles: [], sandbox_url: null, launched_at_ms: 0 }));
  }, [backend]);
  const lock = useCallback((message?: string) => {
    setNotice(message ?? null);
    setInfo(null);
    setSession((s) => (s ? { ...s, unlocked: false, directory: 'encrypted' } : s));
    void backend.lock().catch(() => undefined);
  }, [backend]);
  const idle = useCallback(() => lock(), [lock]);
  useIdleLock(session?.unlocked ? session.idle_lock_seconds : null, idle);
  if (session && !session.unlocked) {
    return (
      <LockScreen
        backend={backend}
        session={session}
        notice={notice}
        onUnlocked={(unlocked) => {
          setNotice(null);
          setInfo(unlocked);
          setSession({ ...session, unlocked: true, directory: 'encrypted' });
        }}
      />
    );
  }
  if (!session && !info) return <div className="lock-screen" aria-busy="true" />;
  return (
    <BackendProvider backend={backend}>
      <AppInfoContext.Provider value={info}>
        <LockContext.Provider value={lock}>
          <ToastProvider>
            <Shell testDouble={testDouble} />
          </ToastProvider>
        </LockContext.Provider>
      </AppInfoContext.Provider>
    </BackendProvider>
  );
}
