/**
 * Dawn for Node: the `webgpu` package, an optional peer loaded on the first
 * use of the webgpu backend in Node (browsers use navigator.gpu and never
 * reach this file: package.json's `browser` field maps it to dawn-browser.js,
 * so bundlers never see the package's Node-only imports).
 */
import { isMissingPackage, missingPackageMessage } from '../optional-package.js';

/** the version checked to load on Debian 12 (0.2.x needs a newer libstdc++) */
export const DAWN_VERSION = '0.6.2';

export interface DawnModule {
  create(options: string[]): GPU;
  globals: object;
}

/** The `webgpu` package; an Error naming it (and how to install it) when it is missing or does not load. */
export async function loadDawn(): Promise<DawnModule> {
  // a specifier in a variable: no bundler follows it (Dawn is a native addon, loaded from node_modules at run time)
  const spec = 'webgpu';
  try {
    return (await import(/* webpackIgnore: true */ /* @vite-ignore */ spec)) as DawnModule;
  } catch (e) {
    if (isMissingPackage(e, spec)) throw new Error(missingPackageMessage('webgpu', 'the webgpu backend in Node (Dawn)', DAWN_VERSION));
    throw new Error(`the 'webgpu' package (Dawn for Node) is installed but does not load here: ${(e as Error).message}`);
  }
}
