#!/usr/bin/env node
// hack/code-cache.mjs FILE LOADER: writes FILE.cache, V8's code cache for one of the
// bundle's CommonJS files (hack/bundle.mjs), made after its exported LOADER has loaded
// every module the program may load, so that their functions are in it compiled, not only
// what V8 compiles eagerly (src/util/code-cache.ts runs the file from it).
import * as fs from 'node:fs';
import { loadCommonJs } from '../dist/src/util/code-cache.js';

const [file, loader] = process.argv.slice(2);
// Without a cache: the one made here must come from this source alone.
const { exports, script } = loadCommonJs(file, '/dev/null/none');
await exports[loader]();
fs.writeFileSync(`${file}.cache`, script.createCachedData());
// Loading started nothing, but a module's handles must not keep the build waiting.
process.exit(0);
