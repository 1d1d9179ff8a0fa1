#!/usr/bin/env node
// `pnpm build` of @statemesh/viewer, after tsc: bundles the page's script for browsers into dist/assets/viewer.js
// (what viewerAssets() serves from an installed package).
import { mkdirSync, writeFileSync } from 'node:fs';
import { bundleViewer } from '../dist/viewer-assets.js';

const script = await bundleViewer({ minify: true });
mkdirSync(new URL('../dist/assets/', import.meta.url), { recursive: true });
writeFileSync(new URL('../dist/assets/viewer.js', import.meta.url), script);
console.log(`@statemesh/viewer: dist/assets/viewer.js, ${(script.byteLength / 1024).toFixed(0)} KiB`);
