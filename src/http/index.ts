export { startServer } from './server.js';
export type { RunningServer, ServerOptions } from './server.js';
export { createApp, RETRY_AFTER_SECONDS } from './app.js';
export { CLIP_FIELD, DEFAULT_UPLOAD_LIMITS, predictionJson } from './clips.route.js';
export type { UploadLimits } from './clips.route.js';
export { ServingMetrics } from './metrics.js';
export { PAGE_CSP } from './pages.route.js';
export { AUDIO_MEDIA_TYPES, boundedLimit, SPECTROGRAM_LIMITS } from './media.route.js';
