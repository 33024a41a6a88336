// Type declarations for @echogarden/svoxpico-wasm, which ships none: the part of its Emscripten
// module that src/synth/pico.ts uses. Signatures follow SVOX Pico's picoapi.h; every pointer is a
// 32-bit offset into the module's memory, every status a pico_Status (0 = OK, negative = error).

declare module '@echogarden/svoxpico-wasm' {
  /** Emscripten's in-memory file system, as far as it is used here. */
  export interface SvoxPicoFs {
    writeFile(path: string, data: Uint8Array): void;
    unlink(path: string): void;
  }

  /** The instantiated module. Heap views are replaced when the memory grows: read them on every use. */
  export interface SvoxPicoModule {
    readonly HEAPU8: Uint8Array;
    readonly HEAP16: Int16Array;
    readonly HEAPU32: Uint32Array;
    readonly FS: SvoxPicoFs;
    _malloc(bytes: number): number;
    _free(pointer: number): void;
    /** `pico_initialize(memory, size, outSystem)`. */
    _pico_initialize(memory: number, size: number, outSystem: number): number;
    /** `pico_terminate(inoutSystem)`. */
    _pico_terminate(system: number): number;
    /** `pico_getSystemStatusMessage(system, status, outMessage[200])`. */
    _pico_getSystemStatusMessage(system: number, status: number, outMessage: number): number;
    /** `pico_loadResource(system, fileName, outResource)`. */
    _pico_loadResource(system: number, fileName: number, outResource: number): number;
    /** `pico_unloadResource(system, inoutResource)`. */
    _pico_unloadResource(system: number, resource: number): number;
    /** `pico_getResourceName(system, resource, outName[32])`. */
    _pico_getResourceName(system: number, resource: number, outName: number): number;
    /** `pico_createVoiceDefinition(system, voiceName)`. */
    _pico_createVoiceDefinition(system: number, voiceName: number): number;
    /** `pico_addResourceToVoiceDefinition(system, voiceName, resourceName)`. */
    _pico_addResourceToVoiceDefinition(system: number, voiceName: number, resourceName: number): number;
    /** `pico_releaseVoiceDefinition(system, voiceName)`. */
    _pico_releaseVoiceDefinition(system: number, voiceName: number): number;
    /** `pico_newEngine(system, voiceName, outEngine)`. */
    _pico_newEngine(system: number, voiceName: number, outEngine: number): number;
    /** `pico_disposeEngine(system, inoutEngine)`. */
    _pico_disposeEngine(system: number, engine: number): number;
    /** `pico_putTextUtf8(engine, text, textSize: int16, outBytesPut: int16*)`. */
    _pico_putTextUtf8(engine: number, text: number, textSize: number, outBytesPut: number): number;
    /** `pico_getData(engine, outBuffer, bufferSize: int16, outBytesReceived: int16*, outDataType: int16*)`: 200 idle, 201 busy. */
    _pico_getData(
      engine: number,
      outBuffer: number,
      bufferSize: number,
      outBytesReceived: number,
      outDataType: number,
    ): number;
    /** `pico_resetEngine(engine, resetMode)`: 0 full, 0x10 soft. */
    _pico_resetEngine(engine: number, resetMode: number): number;
  }

  /** Emscripten factory of the module (loads svoxpico.wasm beside it). */
  export default function SvoxPicoFactory(options?: object): Promise<SvoxPicoModule>;
}
