// `npm run package`: bundle, check and write the .ccx.
import { packagePlugin } from './package.js';
import { photoshopPackageRoot } from './package-root.js';

try {
  const result = await packagePlugin(photoshopPackageRoot());
  console.log(`plug-in folder: ${result.pluginDir}`);
  console.log(`package: ${result.ccx} (${result.bytes} bytes)`);
} catch (err) {
  console.error(err instanceof Error ? err.message : String(err));
  process.exitCode = 1;
}
