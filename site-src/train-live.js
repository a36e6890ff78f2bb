// The training page in live mode: the page of `micrograd-lite train --html`, in a frame, fed by the
// engine training in the worker. Its records and losses grow as the worker sends them; a click on its
// plane adds a point (shift-click removes the nearest training point); the learning rate and the
// optimizer apply from the next step, on the current parameters; a data set or network size is a new run.
import { Python } from "./python.js";

const element = id => document.getElementById(id);
const frame = element("page");
const buttons = ["new", "train", "twenty"].map(element);
let training = false;

const python = new Python((text, state) => {
  element("status").textContent = text;
  element("status").className = state;
  if (state === "ready") start();
}, (text, isError) => { if (isError) console.warn(text); });

const settings = () => [element("optimizer").value, Number(element("lr").value)];
function report(error) { element("status").textContent = error.message; element("status").className = "failed"; training = false; }
function counts(status) {
  element("counts").textContent = `step ${status.steps} · training set: ${status.train.length} points`;
  const page = frame.contentWindow && frame.contentWindow.trainPage;
  if (!page) return;
  frame.contentDocument.getElementById("summary").textContent = status.summary;
  page.D.train = status.train;  // the plane's points: the training set as it is now, then validation
  const train = status.train.map((p, i) => ({ x: p[0], y: p[1], label: p[2], split: "train", index: i }));
  page.points.splice(0, page.points.length - page.D.val.length, ...train);
}

async function start() {
  training = false;
  buttons.forEach(b => { b.disabled = true; });
  try {
    const run = JSON.parse(await python.call("live_start",
      [element("data").value, Number(element("hidden").value), ...settings()]));
    element("click").innerHTML = run.classes.map((name, k) => `<option value="${k}">adds a point of class ${name}</option>`).join("")
      + "<option value='probe'>picks the probe</option>";
    await new Promise(resolve => { frame.onload = resolve; frame.srcdoc = run.html; });
    frame.contentDocument.addEventListener("click", click, true);  // before the page's own (which picks the probe)
    counts(run);
  } catch (error) { report(error); }
  buttons.forEach(b => { b.disabled = false; });
}

async function steps(n) {
  const update = JSON.parse(await python.call("live_steps", [n, ...settings()]));
  const page = frame.contentWindow.trainPage;
  page.D.trainLoss.push(...update.trainLoss);
  page.D.records.push(...update.records);
  if (page.D.records.length > 500) page.D.records.splice(1, page.D.records.length - 500);  // memory stays bounded
  page.slider.max = page.D.records.length - 1;
  counts(update);
  page.go(page.D.records.length - 1);
}

async function click(e) {
  const canvas = frame.contentDocument.querySelector("#plane canvas");
  if (e.target !== canvas || element("click").value === "probe") return;
  e.stopPropagation();
  const page = frame.contentWindow.trainPage, [x0, x1, y0, y1] = page.D.bounds, r = canvas.getBoundingClientRect();
  const x = x0 + (e.clientX - r.left) / r.width * (x1 - x0), y = y1 - (e.clientY - r.top) / r.height * (y1 - y0);
  try {
    counts(JSON.parse(await python.call("live_point", [x, y, Number(element("click").value), e.shiftKey])));
    page.show();
  } catch (error) { report(error); }
}

element("new").onclick = start;
element("data").onchange = start;
element("hidden").onchange = start;
element("twenty").onclick = async () => {
  buttons.forEach(b => { b.disabled = true; });
  try { await steps(20); } catch (error) { report(error); }
  buttons.forEach(b => { b.disabled = false; });
};
element("train").onclick = async () => {
  training = !training;
  element("train").textContent = training ? "❚❚ Pause" : "▶ Train";
  while (training) {
    try { await steps(5); } catch (error) { report(error); }
  }
  element("train").textContent = "▶ Train";
};
