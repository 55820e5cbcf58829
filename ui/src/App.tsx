import { useEffect, useState } from 'react';

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
  const [info, setInfo] = useState<AppInfo | null>(null);
  useEffect(() => {
    backend.appInfo().then(setInfo).catch(() => setInfo({ data_dir: '', version: '?', actor: 'unknown', sandbox_url: null, launched_at_ms: 0 }));
  }, [backend]);
  return (
    <BackendProvider backend={backend}>
      <AppInfoContext.Provider value={info}>
        <ToastProvider>
          <Shell testDouble={testDouble} />
        </ToastProvider>
      </AppInfoContext.Provider>
    </BackendProvider>
  );
}
