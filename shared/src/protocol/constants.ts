/** The protocol version this build speaks. Bump on any incompatible change to messages or frames. */
export const PROTOCOL_VERSION = 1;

/** The oldest client protocol a server of this build still accepts in `hello`. */
export const MIN_PROTOCOL_VERSION = 1;

/**
 * Job ids are chosen by clients and travel inside binary frame headers, logs and file names, so
 * they are kept to a short ASCII alphabet: that makes their UTF-8 form equal to their characters.
 */
export const JOB_ID_PATTERN = /^[A-Za-z0-9._:-]{1,64}$/;
export const MAX_JOB_ID_LENGTH = 64;

/** Frame ids are u32 in the binary header. */
export const MAX_FRAME_ID = 0xffff_ffff;

/** Seeds must survive a round trip through a JavaScript number and a Python int. */
export const MAX_SEED = Number.MAX_SAFE_INTEGER;
