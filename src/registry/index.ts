export { loadLayersModel, MODEL_JSON, saveLayersModel, WEIGHTS_BIN } from './artifacts.js';
