// Compile-time only: Adobe's own typings (@types/photoshop) must fit the subset in ps-api.ts,
// so the adapter and the fake are not written against an API Photoshop does not have.
import type * as RealPhotoshop from 'photoshop';
import type { PhotoshopApi } from './ps-api.js';

type Real = Pick<typeof RealPhotoshop, 'app' | 'core' | 'imaging' | 'constants'>;

export function asPhotoshopApi(real: Real): PhotoshopApi {
  return real;
}
