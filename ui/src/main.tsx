import { isTauri } from '@tauri-apps/api/core';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';

import { App } from './App';
import type { Backend } from './backend/Backend';
import { createTauriBackend } from './backend/tauri';
import './styles.css';

async function pickBackend(): Promise<{ backend: Backend; testDouble: boolean }> {
  if (isTauri()) return { backend: createTauriBackend(), testDouble: false };
  // A plain browser (`npm run dev`): the in-memory test double with demo data.
  const { MemoryBackend } = await import('./backend/memory');
  const { seedDemo } = await import('./backend/memorySeed');
  const backend = new MemoryBackend({ actor: 'clerk', syncStepMs: 150 });
  await seedDemo(backend);
  backend.latencyMs = 120;
  return { backend, testDouble: true };
}

const root = createRoot(document.getElementById('root')!);
pickBackend().then(({ backend, testDouble }) => {
  root.render(
    <StrictMode>
      <App backend={backend} testDouble={testDouble} />
    </StrictMode>,
  );
  // When the first screen was painted (epoch ms), for the desktop benchmark: compared with the
  // process's start (`app_info.launched_at_ms`) it gives launch → first screen without any
  // WebDriver overhead.
  requestAnimationFrame(() =>
    setTimeout(() => {
      (window as unknown as { __dossierFirstScreenAt?: number }).__dossierFirstScreenAt = performance.timeOrigin + performance.now();
    }, 0),
  );
});
