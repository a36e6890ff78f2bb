// The playground: the learner's code runs in the worker's Python; any Value it leaves can be drawn
// (viz.js lays out micrograd_lite's DOT) or stepped through (the stepper's own page, in a frame).
import { Python } from "./python.js";

const element = id => document.getElementById(id);
const output = element("output"), runButton = element("run"), stopButton = element("stop");

function status(text, state) {
  element("status").textContent = text;
  element("status").className = state;
  runButton.disabled = state !== "ready";
}
const MAX_OUTPUT = 200_000;  // characters kept: a loop that prints forever must not fill the page's memory
let written = 0;
function print(text, isError, always = false) {  // always: the page's own message (Stop, a time limit)
  if (written > MAX_OUTPUT && !always) return;
  written = always ? 0 : written + text.length;
  const span = document.createElement("span");
  if (isError || written > MAX_OUTPUT) span.className = "error";
  span.textContent = written > MAX_OUTPUT ? "… (more output, not shown)\n" : text;
  output.appendChild(span);
}
const python = new Python(status, print);

function number(x) { return Number.isFinite(x) ? String(Number(x.toPrecision(6))) : String(x); }

async function task(work) {  // one call at a time; Stop and the time limit end it
  runButton.disabled = true;
  stopButton.disabled = false;
  try {
    await work(Number(element("limit").value) || 10);
  } catch (error) {
    print(error.message + "\n", true, true);
  } finally {
    stopButton.disabled = true;
    runButton.disabled = false;
  }
}

function run() {
  output.textContent = "";
  written = 0;
  element("values").tBodies[0].innerHTML = "";
  task(async limit => {
    const { values } = JSON.parse(await python.call("run_code", [element("code").value], limit));
    const rows = element("values").tBodies[0];
    for (const v of values) {
      const row = rows.insertRow();
      [v.name, v.label, number(v.data), number(v.grad)].forEach(t => { row.insertCell().textContent = t; });
      const cell = row.insertCell();
      for (const [label, call, show] of [["draw", "draw", draw], ["step through", "step_page", step]]) {
        const button = document.createElement("button");
        button.textContent = label;
        button.onclick = () => task(async seconds => show(v.name, await python.call(call, [v.name], seconds)));
        cell.appendChild(button);
      }
    }
    const last = values[values.length - 1];  // drawn at once: usually the result
    if (last) draw(last.name, await python.call("draw", [last.name], limit));
  });
}
function draw(name, svg) {
  element("stepper").hidden = true;
  element("graph").hidden = false;
  element("graph").innerHTML = svg;
  element("shown").textContent = `The graph of ${name}: data and grad of every value (as the code left them)`;
}
function step(name, html) {
  element("graph").hidden = true;
  const frame = element("stepper");
  frame.hidden = false;
  frame.srcdoc = html;
  element("shown").textContent = `The backward pass of ${name}, step by step (← → in the frame)`;
}

runButton.onclick = run;
stopButton.onclick = () => python.stop("stopped (Stop pressed): Python starts again, its variables are gone");
element("code").addEventListener("keydown", e => {
  if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); if (!runButton.disabled) run(); }
  if (e.key === "Tab") {  // a tab key indents, as in an editor
    e.preventDefault();
    document.execCommand("insertText", false, "    ");
  }
});
window.playground = { python };  // for the tests
