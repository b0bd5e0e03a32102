// The A1111-compatible HTTP API (/sdapi/v1), mounted by the server's express app.
export { createA1111Router, type A1111RouterOptions } from './router.js';
