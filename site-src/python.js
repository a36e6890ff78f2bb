// The page's side of the Web Worker (worker.mjs): calls into Python, a time limit, Stop.
// Stopping a running Python means ending its worker: a new one starts at once (Python loads again, from
// the browser's cache), and whatever the old one held (the playground's variables, a live run) is gone.
export class Python {
  constructor(onStatus, onOutput) {
    this.onStatus = onStatus;  // (text, state) with state "loading" | "ready" | "busy" | "failed"
    this.onOutput = onOutput;  // (text, isError)
    this.start();
  }

  start() {
    this.worker = new Worker(new URL("worker.mjs", import.meta.url), { type: "module" });
    this.pending = new Map();
    this.next = 0;
    const started = performance.now();
    const tick = () => this.onStatus(`Loading Python (Pyodide) and Graphviz (viz.js): about 15 MB the first time, `
      + `then from the browser's cache… ${((performance.now() - started) / 1000).toFixed(0)} s`, "loading");
    tick();
    const clock = setInterval(tick, 1000);
    this.ready = new Promise((resolve, reject) => { this.loaded = { resolve, reject }; });
    this.ready.catch(() => {});  // reported by onStatus
    this.worker.onmessage = ({ data }) => {
      if (data.ready) {
        clearInterval(clock);
        this.onStatus(`Python ready (loaded in ${((performance.now() - started) / 1000).toFixed(1)} s)`, "ready");
        this.loaded.resolve();
      } else if (data.failed) {
        clearInterval(clock);
        this.onStatus("Python could not load: " + data.failed, "failed");
        this.loaded.reject(new Error(data.failed));
      } else if ("out" in data || "err" in data) {
        this.onOutput("out" in data ? data.out : data.err, "err" in data);
      } else {
        const call = this.pending.get(data.id);
        this.pending.delete(data.id);
        clearTimeout(call.timer);
        if ("error" in data) call.reject(new Error(data.error)); else call.resolve(data.result);
      }
    };
  }

  // Call a function of browser.py; rejected after `seconds` (the worker is then stopped and started again).
  call(name, args = [], seconds = 60) {
    return new Promise((resolve, reject) => {
      const id = this.next++;
      const timer = setTimeout(() => this.stop(`stopped: over the time limit of ${seconds} s`), seconds * 1000);
      this.pending.set(id, { resolve, reject, timer });
      this.worker.postMessage({ id, call: name, args });
    });
  }

  get busy() { return this.pending.size > 0; }

  stop(reason = "stopped") {
    this.worker.terminate();
    for (const call of this.pending.values()) { clearTimeout(call.timer); call.reject(new Error(reason)); }
    this.start();
  }
}
