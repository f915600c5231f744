// Progressive enhancement of the data upload form: send the file with XMLHttpRequest so the
// page can show how much of it has gone, in a <progress> bar and a polite live status. Without
// JavaScript, or in a browser without upload progress events, the form posts as usual.
import { ErrorSummary, createAll } from "../govuk/govuk-frontend.min.js";

const STATUS_STEP = 10; // announce every 10%, so screen readers are not flooded

function megabytes(bytes) {
  return `${(bytes / (1024 * 1024)).toFixed(1)}MB`;
}

function enhance(scope) {
  const input = scope.querySelector("input[type='file'][data-upload-progress]");
  const panel = input && document.getElementById(input.dataset.uploadProgress);
  if (!input || !input.form || !panel || !window.FormData) {
    return;
  }
  const form = input.form;
  const bar = panel.querySelector("progress");
  const status = panel.querySelector("[role='status']");
  const button = form.querySelector("button[type='submit'], button:not([type])");
  let sending = false;

  function say(text) {
    status.textContent = text;
  }

  function finish(text) {
    sending = false;
    if (button) {
      button.disabled = false;
      button.removeAttribute("aria-disabled");
    }
    say(text);
  }

  form.addEventListener("submit", (event) => {
    if (!input.files || input.files.length === 0) {
      return; // let the server say that no file was chosen
    }
    event.preventDefault();
    if (sending) {
      return;
    }
    sending = true;
    const file = input.files[0];
    const request = new XMLHttpRequest();
    let announced = -STATUS_STEP;

    request.upload.addEventListener("progress", (progress) => {
      if (!progress.lengthComputable) {
        return;
      }
      const percent = Math.floor((progress.loaded / progress.total) * 100);
      bar.value = percent;
      bar.textContent = `${percent}%`;
      if (percent >= announced + STATUS_STEP || percent === 100) {
        announced = percent;
        say(`Uploaded ${percent}% (${megabytes(Math.min(progress.loaded, file.size))} of ${megabytes(file.size)})`);
      }
    });
    request.upload.addEventListener("load", () => {
      bar.value = 100;
      say("Upload complete. Checking the file…");
    });
    request.addEventListener("load", () => {
      const sentTo = new URL(form.action, window.location.href);
      const landed = request.responseURL ? new URL(request.responseURL) : sentTo;
      if (landed.pathname !== sentTo.pathname) {
        // The server accepted the file and redirected to the next step: go there.
        window.location.assign(landed.href);
        return;
      }
      showAnswer(request.responseText);
    });
    request.addEventListener("error", () => {
      finish(`The file could not be uploaded. Check it is a CSV or XLSX file smaller than ${panel.dataset.maxSize || "the limit"}, then try again.`);
    });
    request.addEventListener("abort", () => finish("The upload was cancelled."));

    if (button) {
      button.disabled = true;
      button.setAttribute("aria-disabled", "true");
    }
    bar.value = 0;
    panel.hidden = false;
    say(`Uploading ${file.name}…`);
    request.open("POST", form.action);
    request.send(new FormData(form));
  });
}

// The server answered with the form again (the file had a problem): show that page's content
// in place of this one, and move focus to its error summary as GOV.UK Frontend does on load.
function showAnswer(html) {
  const answer = new DOMParser().parseFromString(html, "text/html");
  const main = document.querySelector("main");
  const newMain = answer.querySelector("main");
  if (!main || !newMain) {
    document.documentElement.innerHTML = answer.documentElement.innerHTML;
    return;
  }
  document.title = answer.title;
  main.replaceChildren(...Array.from(newMain.childNodes, (node) => document.importNode(node, true)));
  createAll(ErrorSummary, undefined, main);
  enhance(main);
}

enhance(document);
