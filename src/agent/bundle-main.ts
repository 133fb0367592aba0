// The agent as the launcher and start.ts start it, bundled (hack/bundle.mjs:
// dist/bundle/agent/main.js): main.ts's code, one CommonJS file run from its code cache
// (src/util/code-cache.ts).
import { fileURLToPath } from 'node:url';
import { loadCommonJs } from '../util/code-cache.js';

(loadCommonJs(fileURLToPath(new URL('./agent.cjs', import.meta.url))).exports.runAgent as () => void)();
