// What bin/gocpu runs, bundled (hack/bundle.mjs: dist/bundle/cli/entry.js): entry.ts's
// code, one CommonJS file run from its code cache (src/util/code-cache.ts).
import { fileURLToPath } from 'node:url';
import { loadCommonJs } from '../util/code-cache.js';

void (loadCommonJs(fileURLToPath(new URL('./cli.cjs', import.meta.url))).exports.runEntry as () => Promise<void>)();
