// `npm run bundle`: the folder the UXP Developer Tool loads (Add Plugin → manifest.json).
import { bundlePlugin } from './bundle.js';
import { photoshopPackageRoot } from './package-root.js';

console.log(`plug-in folder: ${await bundlePlugin(photoshopPackageRoot())}`);
