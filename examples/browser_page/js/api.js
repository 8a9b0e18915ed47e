// tandem's JavaScript API, linked into both module builds with --post-js: it
// runs inside the emscripten factory, so `Module` is this module instance.
// It wraps the embind classes (RawRuntime, ...) in Promise-based objects with
// options bags, JS Errors and explicit dispose(). See tandem.d.ts.

(function () {
  'use strict';

  // An exception thrown by a user callback must not unwind through wasm
  // frames (C++ state would be left half-updated): it goes to the runtime's
  // onCallbackError, by default the platform's report of an uncaught error
  // (reportError in browsers; a rethrow on a fresh task in node).
  function reportUncaught(err) {
    if (typeof reportError === 'function') reportError(err);
    else setTimeout(function () { throw err; }, 0);
  }
  function guarded(fn, onError) {
    if (typeof fn !== 'function') return function () {};
    return function (arg) {
      try { fn(arg); } catch (err) { onError(err); }
    };
  }
  function positiveInteger(name, value) {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1)
      throw new RangeError(name + ' must be a positive integer, got ' + String(value));
    return value;
  }

  /** A ring of actors passing a token; `done` settles exactly once. */
  class Playground {
    constructor(runtime, id, done) {
      this._runtime = runtime;
      this._id = id;
      this.done = done;
    }
    /** Stops the ring; `done` resolves with `stopped: true`. */
    stop() {
      const raw = this._runtime._raw;
      if (raw !== null && this._id !== 0) raw.stopRing(this._id);
    }
  }

  /**
   * A failed call: `code` is the JSON-RPC error code from the server, or one
   * of tandem's (Module.ERR_TIMEOUT, ERR_DISCONNECTED; ERR_CANCELLED = -32800);
   * `data` the error's data, if any. `name` says which kind: TimeoutError,
   * AbortError, ConnectionError or RpcError.
   */
  class TandemError extends Error {
    constructor(message, code, data) {
      super(message);
      this.code = code;
      if (data !== undefined) this.data = data;
      this.name = code === Module['ERR_TIMEOUT'] ? 'TimeoutError'
        : code === Module['ERR_CANCELLED'] ? 'AbortError'
        : code === Module['ERR_DISCONNECTED'] ? 'ConnectionError'
        : 'RpcError';
    }
  }

  /**
   * A JSON-RPC session to a server over WebSocket, reconnecting with backoff
   * while it is not closed. States: connecting, open, disconnected, closed.
   */
  class Session {
    constructor(runtime, url, options) {
      this._runtime = runtime;
      this._calls = new Map();
      this._listeners = new Map();
      this._nextCall = 1;
      this.state = 'connecting';
      this._onState = guarded(options.onStateChange, runtime._onCallbackError);
      const self = this;
      const events = {
        onState(state, detail, retryMs) {
          self.state = state;
          self._onState({ state: state, detail: detail, retryMs: retryMs });
          if (state === 'closed') self._release();
        },
        onNotification(method, paramsJson) {
          const listeners = self._listeners.get(method);
          if (!listeners) return;
          const params = JSON.parse(paramsJson);
          for (const fn of [...listeners]) fn(params);
        },
        onResult(call, resultJson) {
          const c = self._calls.get(call);
          if (!c) return;
          self._calls.delete(call);
          c.cleanup();
          c.resolve(JSON.parse(resultJson));
        },
        onError(call, code, message, dataJson) {
          const c = self._calls.get(call);
          if (!c) return;
          self._calls.delete(call);
          c.cleanup();
          c.reject(new TandemError(message, code, dataJson ? JSON.parse(dataJson) : undefined));
        },
      };
      runtime._sessions.add(this);
      const reconnect = options.reconnect || {};
      this._raw = new Module['RawSession'](runtime._live(), url, reconnect.initialMs || 0,
                                           reconnect.maxMs || 0, events);
    }

    /**
     * Calls `method`; resolves with its result, rejects with a TandemError.
     * options.timeoutMs (default none), options.signal (an AbortSignal: abort
     * cancels the call, the server is told with $/cancelRequest).
     */
    call(method, params, options) {
      options = options || {};
      if (typeof method !== 'string') return Promise.reject(new TypeError('method must be a string'));
      const signal = options.signal;
      if (signal && signal.aborted)
        return Promise.reject(new TandemError('call cancelled', Module['ERR_CANCELLED']));
      if (this._raw === null)
        return Promise.reject(new TandemError('session closed', Module['ERR_DISCONNECTED']));
      const timeoutMs = options.timeoutMs === undefined ? 0 : options.timeoutMs;
      if (typeof timeoutMs !== 'number' || !(timeoutMs >= 0))
        return Promise.reject(new RangeError('timeoutMs must be >= 0'));
      let paramsJson;
      try {
        paramsJson = JSON.stringify(params === undefined ? null : params);
      } catch (err) {
        return Promise.reject(err);
      }
      const call = this._nextCall++;
      const raw = this._raw;
      return new Promise((resolve, reject) => {
        let onAbort = null;
        if (signal) {
          onAbort = () => { if (this._raw !== null) this._raw.cancel(call); };
          signal.addEventListener('abort', onAbort, { once: true });
        }
        const cleanup = () => { if (onAbort) signal.removeEventListener('abort', onAbort); };
        this._calls.set(call, { resolve, reject, cleanup });
        raw.call(call, method, paramsJson, timeoutMs);
      });
    }

    /** Calls `listener(params)` for each notification `method` from the server; returns an unsubscribe function. */
    on(method, listener) {
      if (typeof listener !== 'function') throw new TypeError('listener must be a function');
      const safe = guarded(listener, this._runtime._onCallbackError);
      let set = this._listeners.get(method);
      if (!set) this._listeners.set(method, (set = new Set()));
      set.add(safe);
      return () => { set.delete(safe); };
    }

    /**
     * Closes the session and stops reconnecting: pending calls reject with
     * ConnectionError, then the state becomes 'closed' and the session's
     * memory is freed. Idempotent.
     */
    close() {
      if (this._raw !== null) this._raw.close();
    }
    dispose() { this.close(); }

    // The runtime went away (or the session closed): nothing can answer now.
    _release() {
      this._runtime._sessions.delete(this);
      for (const c of this._calls.values()) {
        c.cleanup();
        c.reject(new TandemError('session closed', Module['ERR_DISCONNECTED']));
      }
      this._calls.clear();
      if (this._raw !== null) {
        const raw = this._raw;
        this._raw = null;
        raw.delete();
      }
      this.state = 'closed';
    }
  }

  class Runtime {
    constructor(options) {
      options = options || {};
      const onCallbackError = options.onCallbackError;
      if (onCallbackError !== undefined && typeof onCallbackError !== 'function')
        throw new TypeError('onCallbackError must be a function');
      this._onCallbackError = onCallbackError
        ? function (err) { try { onCallbackError(err); } catch (e) { reportUncaught(e); } }
        : reportUncaught;
      this._raw = new Module['RawRuntime']();
      this._sessions = new Set();
      if (options.sliceMs !== undefined) this.sliceMs = options.sliceMs;
    }

    _live() {
      if (this._raw === null) throw new Error('tandem: this runtime has been disposed');
      return this._raw;
    }

    /** Longest run of actor turns per browser task, in ms (default 4). */
    get sliceMs() { return this._live().sliceMs(); }
    set sliceMs(ms) {
      if (typeof ms !== 'number' || !(ms > 0)) throw new RangeError('sliceMs must be > 0');
      this._live().setSliceMs(ms);
    }
    get liveActors() { return this._live().liveActors(); }
    get disposed() { return this._raw === null; }

    startPlayground(options) {
      options = options || {};
      const actors = positiveInteger('actors', options.actors === undefined ? 100 : options.actors);
      const messages = positiveInteger('messages', options.messages === undefined ? 1000000 : options.messages);
      const progressMs = options.progressIntervalMs === undefined ? 100 : options.progressIntervalMs;
      if (typeof progressMs !== 'number' || !(progressMs > 0))
        throw new RangeError('progressIntervalMs must be > 0');
      let resolve;
      const done = new Promise(function (r) { resolve = r; });
      const id = this._live().startRing(actors, messages, progressMs,
                                        guarded(options.onProgress, this._onCallbackError), resolve);
      return new Playground(this, id, done);
    }

    /** Opens a session to a JSON-RPC server over WebSocket (see Session). */
    connect(url, options) {
      if (typeof url !== 'string') throw new TypeError('url must be a string');
      return new Session(this, url, options || {});
    }

    /**
     * Stops every actor of this runtime (pending playgrounds resolve as
     * stopped) and frees its memory. Idempotent; the object is unusable after.
     */
    dispose() {
      if (this._raw === null) return;
      const raw = this._raw;
      for (const session of [...this._sessions]) session._release();
      this._raw = null;
      raw.delete();
    }
  }

  Module['createRuntime'] = function (options) { return new Runtime(options); };
  Module['TandemError'] = TandemError;
})();
