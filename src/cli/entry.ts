/**
 * What bin/gocpu runs: node entry.js NAME ARGS..., NAME being the name the launcher
 * was called by (go_linux_arm64_exec picks linux/arm64).
 */
import { startUnderLauncher } from './launcher.js';

startUnderLauncher();
const { main, exitWith } = await import('./main.js');
exitWith(await main(process.argv.slice(2)));
