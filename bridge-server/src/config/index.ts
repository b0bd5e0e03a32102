export { defaultConfigDir } from './config-dir.js';
export { generateToken, loadOrCreateToken, tokenMatches, TOKEN_FILE } from './token.js';
