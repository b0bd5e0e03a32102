/** Kept in step with bridge-server/package.json's version. */
export const SERVER_VERSION = '0.1.0';
export const SERVER_NAME = `latent-bridge/${SERVER_VERSION}`;
