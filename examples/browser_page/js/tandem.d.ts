// Type declarations for tandem's WebAssembly module (hand-written: emscripten
// 3.1.6 cannot emit them). The same API in browsers (tandem.mjs, an ES module)
// and node (tandem-node.js, CommonJS).
//
// Lifetimes are explicit: a Runtime owns wasm memory and every actor in it,
// and lives until dispose(). Garbage collection never frees it.

/** Loads and instantiates the module (once per call: each has its own heap). */
export default function createTandem(options?: ModuleOptions): Promise<Tandem>;

export interface ModuleOptions {
  /** Where to find tandem.wasm (default: next to tandem.mjs). */
  locateFile?(path: string, scriptDirectory: string): string;
  print?(text: string): void;
  printErr?(text: string): void;
}

export interface Tandem {
  /** A new actor system on this page's event loop. Call dispose() when done. */
  createRuntime(options?: RuntimeOptions): Runtime;
  /** Bytes allocated on the wasm heap now (for leak checks). */
  heapBytesInUse(): number;
  /** The class of every rejected call. */
  TandemError: typeof TandemError;
  /** tandem's own codes in TandemError.code (JSON-RPC codes are negative). */
  readonly ERR_TIMEOUT: number;
  readonly ERR_DISCONNECTED: number;
  /** -32800, the LSP "request cancelled" code. */
  readonly ERR_CANCELLED: number;
}

/**
 * A failed call. `code`: the server's JSON-RPC error code, or ERR_TIMEOUT
 * (name "TimeoutError"), ERR_CANCELLED (-32800, "AbortError"),
 * ERR_DISCONNECTED ("ConnectionError"); other codes have name "RpcError".
 */
export declare class TandemError extends Error {
  readonly code: number;
  /** The JSON-RPC error's `data`, if the server sent one. */
  readonly data?: unknown;
  readonly name: 'TimeoutError' | 'AbortError' | 'ConnectionError' | 'RpcError';
}

export interface RuntimeOptions {
  /**
   * Longest stretch of actor work per browser task, in ms (default 4). The
   * runtime then yields (a postMessage hop, not setTimeout(0)) so the page
   * keeps rendering; with nothing to do it sleeps (one setTimeout for the
   * next timer, or nothing at all).
   */
  sliceMs?: number;
  /**
   * Receives exceptions thrown by your callbacks (onProgress, ...). Default:
   * reported as uncaught errors (reportError). They never reach the actors.
   */
  onCallbackError?(error: unknown): void;
}

export interface Runtime {
  sliceMs: number;
  /** Actors alive in this runtime. */
  readonly liveActors: number;
  readonly disposed: boolean;

  /**
   * Opens a JSON-RPC 2.0 session over WebSocket (e.g. `ws://host/rpc`). It
   * reconnects with exponential backoff (delayed messages in the runtime)
   * until close(). Each session holds wasm memory until it reaches 'closed'.
   */
  connect(url: string, options?: ConnectOptions): Session;

  /** Starts a ring of actors passing a token (the actor playground). */
  startPlayground(options?: PlaygroundOptions): Playground;

  /**
   * Stops every actor (running playgrounds resolve with stopped: true) and
   * frees the runtime's memory. Idempotent; any other use afterwards throws.
   */
  dispose(): void;
}

export interface PlaygroundOptions {
  /** Ring size (default 100). */
  actors?: number;
  /** Token hops = messages delivered (default 1,000,000). */
  messages?: number;
  /** How often onProgress is called while the ring runs (default 100 ms). */
  progressIntervalMs?: number;
  onProgress?(progress: PlaygroundProgress): void;
}

export interface PlaygroundProgress {
  messages: number;
  elapsedMs: number;
  /** Over the last progress interval. */
  messagesPerSecond: number;
}

export interface PlaygroundResult {
  /** Messages delivered. */
  messages: number;
  actors: number;
  /** Member that received the last hop: (messages - 1) % actors after a full run. */
  lastActor: number;
  /** Sum, minimum and maximum of the members' own hop counts (asked by request at the end). */
  countsSum: number;
  countsMin: number;
  countsMax: number;
  elapsedMs: number;
  messagesPerSecond: number;
  /** Stopped (stop() or dispose()) before the end; counts are then not collected. */
  stopped: boolean;
}

export interface Playground {
  /** Settles once, when the ring finished or was stopped. Never rejects. */
  readonly done: Promise<PlaygroundResult>;
  /** Stops the ring (idempotent). */
  stop(): void;
}

export type SessionState = 'connecting' | 'open' | 'disconnected' | 'closed';

export interface ConnectOptions {
  reconnect?: {
    /** First retry after this many ms (default 250); doubles per failure. */
    initialMs?: number;
    /** Longest wait between attempts (default 5000). */
    maxMs?: number;
  };
  /** Every change of state; `detail` says why a connection ended, `retryMs` when the next attempt is. */
  onStateChange?(event: { state: SessionState; detail: string; retryMs: number }): void;
}

export interface CallOptions {
  /** Fail with a TimeoutError after this many ms (default: no timeout). */
  timeoutMs?: number;
  /** Aborting cancels the call: it rejects with an AbortError and the server is sent $/cancelRequest. */
  signal?: AbortSignal;
}

export interface Session {
  readonly state: SessionState;
  /**
   * Calls `method` with `params` (JSON-serializable: an array, an object or
   * null). Resolves with the result; rejects with a TandemError. A call made
   * while connecting waits for the connection; while disconnected (waiting
   * to retry) calls fail at once with a ConnectionError, and calls pending
   * when the connection drops fail with one too.
   */
  call<T = unknown>(method: string, params?: unknown, options?: CallOptions): Promise<T>;
  /** Notifications `method` from the server (e.g. 'tick'); returns an unsubscribe function. */
  on(method: string, listener: (params: any) => void): () => void;
  /** Closes and stops reconnecting; pending calls reject; state becomes 'closed'. Idempotent. */
  close(): void;
  /** The same as close(). */
  dispose(): void;
}
