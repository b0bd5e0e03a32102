import type { PhotoshopApi, UxpApi } from './ps-api.js';

// UXP provides CommonJS-style require for its host modules; the bundler leaves these calls alone.
declare const require: (id: string) => unknown;

/** The one place that touches the real `photoshop` and `uxp` modules. */
export function loadHostModules(): { photoshop: PhotoshopApi; uxp: UxpApi } {
  return { photoshop: require('photoshop') as PhotoshopApi, uxp: require('uxp') as UxpApi };
}
