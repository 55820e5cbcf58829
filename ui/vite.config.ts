/// <reference types="vitest/config" />
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The desktop shell (Tauri v2) loads `dist/` from disk, so assets use relative URLs.
// The dev server port is fixed because src-tauri's devUrl points at it.
export default defineConfig({
  base: './',
  plugins: [react()],
  clearScreen: false,
  server: { port: 1420, strictPort: true },
  preview: { port: 1420, strictPort: true },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2021',
    sourcemap: false,
    chunkSizeWarningLimit: 700,
    rollupOptions: {
      output: {
        // pdf.js imports its plain-JS image decoders as `${wasmUrl}<name>`, so they keep their
        // names (in a folder of their own); every other asset is named by its hash as before.
        assetFileNames: (asset) =>
          asset.names.some((name) => name.endsWith('_nowasm_fallback.js')) ? 'assets/pdfjs/[name][extname]' : 'assets/[name]-[hash][extname]',
      },
    },
  },
  test: {
    environment: 'jsdom',
    globals: false,
    include: ['src/**/*.test.{ts,tsx}'],
    setupFiles: ['src/test/setup.ts'],
    css: false,
    // The journeys drive whole screens through many steps; on a loaded 2-core CI machine they
    // legitimately take longer than the 5 s default, and a timeout there says nothing useful.
    testTimeout: 30000,
  },
});
