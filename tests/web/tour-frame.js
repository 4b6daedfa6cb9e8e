// Shared by the tour check pages: the page holds the exported tour in a frame (#tour) and writes what it saw
// as JSON into #result, which `chromium --dump-dom` reads (tests/e2e/tours.rs).
document.write('<iframe id="tour" src="/tour/index.html" style="width: 800px; height: 500px; border: 0"></iframe>');
document.write('<pre id="result">pending</pre>');
const log = {};
const done = () => { document.getElementById("result").textContent = JSON.stringify(log); };
// Runs `then` once `ready()` holds, polling every 50 ms for 30 s, else records a timeout.
const wait = (ready, then, tries = 0) => {
  if (ready()) then();
  else if (tries < 600) setTimeout(() => wait(ready, then, tries + 1), 50);
  else { log.timeout = true; done(); }
};
