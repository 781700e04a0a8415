// stoplist dashboard: small progressive enhancements; every page works without them.
"use strict";

document.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-copy]");
  if (!button) return;
  const field = document.getElementById(button.dataset.copy);
  if (!field) return;
  const done = () => {
    const original = button.textContent;
    button.textContent = button.dataset.copied || original;
    setTimeout(() => { button.textContent = original; }, 1500);
  };
  field.select();
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(field.value).then(done, () => { document.execCommand("copy"); done(); });
  } else {
    document.execCommand("copy");
    done();
  }
});

document.addEventListener("click", (event) => {
  if (event.target.closest("button[data-print]")) window.print();
});

document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
  }
});

// Import: send the file with upload progress, then follow the server's progress
// lines ("progress DONE TOTAL") until the result fragment arrives.
const importForm = document.getElementById("import-form");
if (importForm) {
  importForm.addEventListener("submit", (event) => {
    if (event.submitter && event.submitter.name === "step") return;  // the preview is a page of its own
    event.preventDefault();
    const status = document.getElementById("import-status");
    const bar = document.getElementById("import-progress");
    const result = document.getElementById("import-result");
    const button = importForm.querySelector("button[type=submit]");
    status.hidden = false;
    bar.removeAttribute("value");
    result.innerHTML = "";
    button.disabled = true;
    const say = (text) => { document.getElementById("import-phase").textContent = text; };
    say(importForm.dataset.uploading);
    const request = new XMLHttpRequest();
    request.open("POST", importForm.action);
    request.setRequestHeader("X-Import-Progress", "1");
    let seen = 0;
    const follow = () => {
      const text = request.responseText;
      const end = text.indexOf("\n--result--\n");
      const head = end >= 0 ? text.slice(0, end) : text;
      const lines = head.slice(seen).split("\n");
      if (end < 0) lines.pop();
      seen += lines.reduce((n, l) => n + l.length + 1, 0);
      for (const line of lines) {
        const parts = line.split(" ");
        if (parts[0] === "progress") {
          say(importForm.dataset.processing);
          bar.max = Number(parts[2]) || 1;
          bar.value = Number(parts[1]);
        }
      }
      return end >= 0 ? text.slice(end + "\n--result--\n".length) : null;
    };
    request.upload.addEventListener("progress", (e) => {
      if (e.lengthComputable) { bar.max = e.total; bar.value = e.loaded; }
    });
    request.upload.addEventListener("load", () => { say(importForm.dataset.processing); bar.removeAttribute("value"); });
    request.addEventListener("progress", follow);
    request.addEventListener("load", () => {
      button.disabled = false;
      const html = request.status === 200 ? follow() : null;
      if (html === null) {
        say(importForm.dataset.failed);
        return;
      }
      bar.max = 1; bar.value = 1;
      say(importForm.dataset.done);
      result.innerHTML = html;
      const heading = result.querySelector("h2");
      if (heading) { heading.tabIndex = -1; heading.focus(); }
    });
    request.addEventListener("error", () => { button.disabled = false; say(importForm.dataset.failed); });
    request.send(new FormData(importForm));
  });
}
