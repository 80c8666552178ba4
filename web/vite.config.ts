import path from 'node:path'
import { defineConfig } from 'vite'

export default defineConfig({
  root: path.resolve(import.meta.dirname),
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
    // MapLibre is its own chunk, so the desk's own JavaScript can be measured beside it (bench/web).
    rollupOptions: { output: { manualChunks: (id) => (id.includes('node_modules/maplibre-gl') ? 'maplibre-gl' : undefined) } },
    chunkSizeWarningLimit: 1500,
  },
  server: {
    proxy: {
      '/api': 'http://127.0.0.1:3000',
      '/tiles': 'http://127.0.0.1:3000',
      '/health': 'http://127.0.0.1:3000',
      '/docs': 'http://127.0.0.1:3000',
    },
  },
})
