export { PROTOCOL_VERSION, MIN_PROTOCOL_VERSION, JOB_ID_PATTERN, MAX_JOB_ID_LENGTH, MAX_FRAME_ID, MAX_SEED } from './constants.js';
export { DEFAULT_LIMITS, resolveLimits, type Limits } from './limits.js';
export { negotiateProtocol, type ProtocolRange } from './version.js';
export { parseClientMessage, parseServerMessage, messageJobId } from './parse.js';
export { checkGenerate } from './generate-rules.js';
export { codePoints, utf8ByteLength } from './text-measure.js';
export { errorMessage } from './error-message.js';
export { formatFieldPath } from './zod-issues.js';
export { ERROR_CODES, frameRefSchema, modelSummarySchema, limitsSchema } from './common-schemas.js';
export {
  helloSchema,
  generateSchema,
  cancelSchema,
  listModelsSchema,
  statusQuerySchema,
  clientMessageSchema,
  expandSchema,
  previewOptionSchema,
  variationSchema,
  animationSchema,
  promptEntrySchema,
  GENERATE_MODES,
  GENERATE_DEFAULTS,
  CLIENT_MESSAGE_TYPES,
  type GenerateMode,
  type HelloMessage,
  type GenerateMessage,
  type GenerateMessageInput,
  type CancelMessage,
  type ListModelsMessage,
  type StatusQueryMessage,
  type ClientMessage,
  type ClientMessageInput,
  type ClientMessageType,
  type FrameRef,
  type Expand,
  type Variation,
  type Animation,
  type PromptEntry,
} from './client-messages.js';
export {
  welcomeSchema,
  queuedSchema,
  startedSchema,
  progressSchema,
  previewSchema,
  resultSchema,
  errorSchema,
  cancelledSchema,
  doneSchema,
  modelsSchema,
  statusSchema,
  serverMessageSchema,
  SERVER_STATES,
  SERVER_MESSAGE_TYPES,
  type WelcomeMessage,
  type Capabilities,
  type ModelSummary,
  type QueuedMessage,
  type StartedMessage,
  type ProgressMessage,
  type PreviewMessage,
  type ResultMessage,
  type ErrorMessage,
  type CancelledMessage,
  type DoneMessage,
  type ModelsMessage,
  type StatusMessage,
  type ServerState,
  type ServerMessage,
  type ServerMessageType,
} from './server-messages.js';
export {
  FRAME_MAGIC,
  FRAME_VERSION,
  FRAME_FIXED_HEADER_BYTES,
  FRAME_FIELDS,
  FRAME_OFFSETS,
  FRAME_KINDS,
  FRAME_FORMATS,
  FRAME_KIND_CODES,
  FRAME_FORMAT_CODES,
  FRAME_KIND_FORMATS,
  FRAME_FORMAT_RULES,
  CLIENT_FRAME_KINDS,
  SERVER_FRAME_KINDS,
  isRawFormat,
  rawPayloadLength,
  type FrameKind,
  type FrameFormat,
  type FrameHeader,
  type DecodedFrame,
  type FrameFieldSpec,
} from './frame-layout.js';
export { encodeFrame, encodeFrameParts } from './frame-encode.js';
export { decodeFrame, decodeFrameHeader, peekFrameIds, type FrameLimits } from './frame-decode.js';
export { buildFrameLayout, FRAME_CHECKS } from './frame-layout-description.js';
export { buildMessagesJsonSchema } from './json-schema.js';
