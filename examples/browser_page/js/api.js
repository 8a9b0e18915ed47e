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

    /**
     * Stops every actor of this runtime (pending playgrounds resolve as
     * stopped) and frees its memory. Idempotent; the object is unusable after.
     */
    dispose() {
      if (this._raw === null) return;
      const raw = this._raw;
      this._raw = null;
      raw.delete();
    }
  }

  Module['createRuntime'] = function (options) { return new Runtime(options); };
})();
