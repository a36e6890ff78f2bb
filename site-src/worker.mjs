// The site's Web Worker: Pyodide (CPython in WebAssembly) with the project's own wheel, and viz.js
// (Graphviz in WebAssembly) to lay the pictures out. Both load from this folder: nothing leaves the site.
// Messages in: {id, call, args} (a function of browser.py); out: {id, result} or {id, error},
// {out: text} / {err: text} for what Python prints, and {ready: true} once everything has loaded.
import { loadPyodide } from "./pyodide/pyodide.mjs";
import { instance } from "./viz/viz.js";

const here = new URL(".", import.meta.url);
const say = message => self.postMessage(message);

async function boot() {
  const manifest = await (await fetch(new URL("manifest.json", here))).json();
  const [pyodide, viz] = await Promise.all([
    loadPyodide({ indexURL: new URL("pyodide/", here).href, packages: [] }),
    instance(),
  ]);
  pyodide.setStdout({ batched: text => say({ out: text + "\n" }) });
  pyodide.setStderr({ batched: text => say({ err: text + "\n" }) });
  await pyodide.loadPackage(new URL(manifest.wheel, here).href, { messageCallback: () => {} });
  const glue = await (await fetch(new URL("browser.py", here))).text();
  pyodide.runPython(glue);  // into pyodide.globals
  pyodide.globals.set("layout", source => viz.renderString(source, { format: "svg" }));
  return pyodide.globals;
}

const ready = boot();
ready.then(() => say({ ready: true }), error => say({ failed: String(error) }));

self.onmessage = async ({ data: { id, call, args } }) => {
  try {
    const globals = await ready;
    say({ id, result: globals.get(call)(...args) });
  } catch (error) {
    // A Python exception arrives as its whole traceback, through this file's own frames: its last line says it.
    const lines = String(error.message || error).trim().split("\n");
    say({ id, error: lines[lines.length - 1] });
  }
};
