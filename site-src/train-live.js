// The training page in live mode: the page of `micrograd-lite train --html`, in a frame, fed by the
// engine training in the worker. Its records and losses grow as the worker sends them; a click on its
// plane adds a point (shift-click removes the nearest training point); the learning rate and the
// optimizer apply from the next step, on the current parameters; a data set or network size is a new run.
import { Python } from "./python.js";

const element = id => document.getElementById(id);
const frame = element("page");
const buttons = ["new", "train", "twenty"].map(element);
let training = false, readyText = "";

function status(text, state) {
  element("status").textContent = text;
  element("status").className = state;
}
const python = new Python((text, state) => {
  status(text, state);
  if (state === "ready") { readyText = text; start(); }
}, (text, isError) => { if (isError) console.warn(text); });

const settings = () => [element("optimizer").value, Number(element("lr").value)];
function report(error) { status(error.message, "failed"); training = false; }
function counts(run) {  // after each answer of the worker: what the run is now
  status(readyText, "ready");
  element("counts").textContent = `step ${run.steps} · training set: ${run.train.length} points`;
  const page = frame.contentWindow && frame.contentWindow.trainPage;
  if (!page) return;
  frame.contentDocument.getElementById("summary").textContent = run.summary;
  page.D.train = run.train;  // the plane's points: the training set as it is now, then validation
  const train = run.train.map((p, i) => ({ x: p[0], y: p[1], label: p[2], split: "train", index: i }));
  page.points.splice(0, page.points.length - page.D.val.length, ...train);
}

// One action at a time, in the order asked: a new run, steps, a point. (A field's change fires as the
// next button is pressed: both are kept, in that order.) `busy` counts the actions not yet done.
let queue = Promise.resolve(), busy = 0;
function act(work) {
  busy += 1;
  document.body.dataset.busy = busy;
  queue = queue.then(work).catch(report).then(() => { busy -= 1; document.body.dataset.busy = busy; });
  return queue;
}

function start() {
  training = false;
  return act(async () => {
    buttons.forEach(b => { b.disabled = false; });
    const run = JSON.parse(await python.call("live_start",
      [element("data").value, Number(element("hidden").value), ...settings()]));
    element("click").innerHTML = run.classes.map((name, k) => `<option value="${k}">adds a point of class ${name}</option>`).join("")
      + "<option value='probe'>picks the probe</option>";
    await show(run);
  });
}

async function show(run) {  // the whole training page, as the worker wrote it
  await new Promise(resolve => { frame.addEventListener("load", resolve, { once: true }); frame.srcdoc = run.html; });
  frame.contentDocument.addEventListener("click", click, true);  // before the page's own (which picks the probe)
  counts(run);
}

async function steps(n) {
  const update = JSON.parse(await python.call("live_steps", [n, ...settings()]));
  if (update.html) { await show(update); return; }
  const page = frame.contentWindow.trainPage;
  page.D.trainLoss.push(...update.trainLoss);
  page.D.records.push(...update.records);
  if (page.D.records.length > 500) page.D.records.splice(1, page.D.records.length - 500);  // memory stays bounded
  page.slider.max = page.D.records.length - 1;
  counts(update);
  page.go(page.D.records.length - 1);
}

function click(e) {
  const canvas = frame.contentDocument.querySelector("#plane canvas");
  if (e.target !== canvas || element("click").value === "probe") return;
  e.stopPropagation();
  const page = frame.contentWindow.trainPage, [x0, x1, y0, y1] = page.D.bounds, r = canvas.getBoundingClientRect();
  const x = x0 + (e.clientX - r.left) / r.width * (x1 - x0), y = y1 - (e.clientY - r.top) / r.height * (y1 - y0);
  const args = [x, y, Number(element("click").value), e.shiftKey];
  act(async () => { counts(JSON.parse(await python.call("live_point", args))); page.show(); });
}

element("new").onclick = start;
element("data").onchange = start;
element("hidden").onchange = start;
element("twenty").onclick = () => act(() => steps(20));
element("train").onclick = async () => {
  training = !training;
  element("train").textContent = training ? "❚❚ Pause" : "▶ Train";
  while (training) await act(() => steps(5));
  element("train").textContent = "▶ Train";
};
