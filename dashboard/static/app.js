// Relance: glue between htmx and Bootstrap. No inline scripts (the CSP forbids them).
(function () {
  "use strict";

  // A request htmx could not complete (network error or unexpected status): say so,
  // in the page's language, instead of failing silently.
  function showError() {
    var area = document.getElementById("flash-area");
    if (!area) { return; }
    var box = document.createElement("div");
    box.className = "alert alert-danger alert-dismissible fade show";
    box.setAttribute("role", "alert");
    box.textContent = document.body.dataset.errorMessage || "Error";
    var close = document.createElement("button");
    close.type = "button";
    close.className = "btn-close";
    close.setAttribute("data-bs-dismiss", "alert");
    box.appendChild(close);
    area.appendChild(box);
  }
  // Error pages for htmx come with HX-Retarget pointing at the flash area: show them.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    if (xhr.status >= 400 && xhr.getResponseHeader("HX-Retarget")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
  document.addEventListener("htmx:sendError", showError);

  // Chat messages: an optional formatting editor over the plain textarea. The server
  // sanitises whatever HTML comes in (nh3 allowlist), so this is comfort, not a boundary.
  function wireEditor(box) {
    if (box.dataset.ready) { return; }
    box.dataset.ready = "1";
    var toggle = box.querySelector("[data-rich-toggle]");
    var toolbar = box.querySelector("[data-rich-toolbar]");
    var area = box.querySelector("[data-rich-area]");
    var text = box.querySelector("textarea");
    var html = box.querySelector("[data-rich-html]");
    toggle.classList.remove("d-none");
    function sync() {
      html.value = area.innerHTML;
      text.value = area.innerText;
    }
    toggle.addEventListener("click", function () {
      toolbar.classList.remove("d-none");
      area.classList.remove("d-none");
      text.classList.add("d-none");
      toggle.classList.add("d-none");
      area.textContent = text.value;
      area.focus();
      sync();
    });
    area.addEventListener("input", sync);
    toolbar.addEventListener("click", function (event) {
      var button = event.target.closest("[data-command]");
      if (!button) { return; }
      var value = null;
      if (button.dataset.command === "createLink") {
        value = window.prompt(button.dataset.prompt || "https://", "https://");
        if (!value) { return; }
      }
      area.focus();
      document.execCommand(button.dataset.command, false, value);
      sync();
    });
  }
  function wireEditors(root) {
    var boxes = (root || document).querySelectorAll("[data-rich-editor]");
    for (var i = 0; i < boxes.length; i++) { wireEditor(boxes[i]); }
  }
  document.addEventListener("DOMContentLoaded", function () { wireEditors(document); });
  document.addEventListener("htmx:load", function (event) { wireEditors(event.detail.elt); });

  // Docs tab: one upload control per folder. Files or a folder dropped on the zone go into
  // its file input (a dropped folder keeps its inner paths in the file names); the summary
  // line says how many files are chosen.
  function readEntry(entry, prefix, out) {
    return new Promise(function (resolve) {
      if (entry.isFile) {
        entry.file(function (file) {
          out.push(new File([file], prefix + file.name, { type: file.type }));
          resolve();
        }, function () { resolve(); });
        return;
      }
      var reader = entry.createReader();
      var children = [];
      (function readMore() {
        reader.readEntries(function (batch) {
          if (!batch.length) {
            Promise.all(children.map(function (child) {
              return readEntry(child, prefix + entry.name + "/", out);
            })).then(resolve);
            return;
          }
          children = children.concat(Array.prototype.slice.call(batch));
          readMore();
        }, function () { resolve(); });
      })();
    });
  }
  function wireDropzone(zone) {
    if (zone.dataset.ready) { return; }
    zone.dataset.ready = "1";
    var inputs = zone.querySelectorAll("input[type=file]");
    var summary = zone.querySelector("[data-dropzone-summary]");
    function describe() {
      var count = 0;
      for (var i = 0; i < inputs.length; i++) { count += inputs[i].files.length; }
      if (!count) { summary.textContent = zone.dataset.none; }
      else if (count === 1) { summary.textContent = zone.dataset.chosenOne; }
      else { summary.textContent = zone.dataset.chosenMany.replace("{n}", String(count)); }
    }
    for (var i = 0; i < inputs.length; i++) { inputs[i].addEventListener("change", describe); }
    zone.addEventListener("dragover", function (event) {
      event.preventDefault();
      zone.classList.add("is-dragover");
    });
    zone.addEventListener("dragleave", function () { zone.classList.remove("is-dragover"); });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      zone.classList.remove("is-dragover");
      var items = event.dataTransfer.items;
      var files = [];
      var reads = [];
      for (var k = 0; k < items.length; k++) {
        var entry = items[k].webkitGetAsEntry && items[k].webkitGetAsEntry();
        if (entry) { reads.push(readEntry(entry, "", files)); continue; }
        var file = items[k].kind === "file" && items[k].getAsFile();
        if (file) { files.push(file); }  // no file-system entry (a file handed by script)
      }
      Promise.all(reads).then(function () {
        var transfer = new DataTransfer();
        files.forEach(function (file) { transfer.items.add(file); });
        inputs[0].files = transfer.files;
        for (var m = 1; m < inputs.length; m++) { inputs[m].value = ""; }
        describe();
      });
    });
  }
  function wireDropzones(root) {
    var zones = (root || document).querySelectorAll("[data-dropzone]");
    for (var i = 0; i < zones.length; i++) { wireDropzone(zones[i]); }
  }
  document.addEventListener("DOMContentLoaded", function () { wireDropzones(document); });
  document.addEventListener("htmx:load", function (event) { wireDropzones(event.detail.elt); });

  // Progress bars get their width from data-percent: the CSP refuses inline style attributes, the
  // CSSOM is allowed. On afterSwap (before the first paint of a polled bar), not htmx:load
  // (after the settle delay: the bar would show empty for a moment).
  function sizeBars(root) {
    var bars = (root || document).querySelectorAll(".progress-bar[data-percent]");
    for (var i = 0; i < bars.length; i++) { bars[i].style.width = bars[i].dataset.percent + "%"; }
  }
  document.addEventListener("DOMContentLoaded", function () { sizeBars(document); });
  document.addEventListener("htmx:afterSwap", function (event) { sizeBars(event.target); });

  // htmx's history snapshot is the page's HTML: the style attributes our scripts set through the
  // CSSOM (Popper's menus, pdf.js pages) would be parsed back on Back, and the CSP refuses them.
  // They are left out of the copy (taken right after this event) and put back through the CSSOM.
  document.addEventListener("htmx:beforeHistorySave", function (event) {
    var styled = event.detail.historyElt.querySelectorAll("[style]");
    var saved = [];
    for (var i = 0; i < styled.length; i++) {
      saved.push([styled[i], styled[i].style.cssText]);
      styled[i].removeAttribute("style");
    }
    queueMicrotask(function () {
      saved.forEach(function (entry) { if (entry[1]) { entry[0].style.cssText = entry[1]; } });
    });
  });

  // C11: leaving the page with an unsent message asks for confirmation.
  function unsentMessage() {
    var forms = document.querySelectorAll("form[data-confirm-leave]");
    for (var i = 0; i < forms.length; i++) {
      var fields = forms[i].querySelectorAll("textarea");
      for (var j = 0; j < fields.length; j++) {
        if (fields[j].value.trim() !== "") { return forms[i].dataset.confirmLeave; }
      }
    }
    return null;
  }
  // A form with data-confirm asks first (no inline handler: the CSP forbids them).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.matches && form.matches("form[data-confirm]") && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);
  var submitting = false;
  document.addEventListener("submit", function () { submitting = true; }, true);
  document.addEventListener("htmx:beforeRequest", function (event) {
    var source = event.detail.elt;
    if (source && source.closest && source.closest("form[data-confirm-leave]")) { return; }
    var verb = (event.detail.requestConfig && event.detail.requestConfig.verb) || "get";
    var pushes = source && source.getAttribute && source.getAttribute("hx-push-url") === "true";
    if (verb === "get" && pushes) {
      var question = unsentMessage();
      if (question && !window.confirm(question)) { event.preventDefault(); }
    }
  });
  window.addEventListener("beforeunload", function (event) {
    if (!submitting && unsentMessage()) {
      event.preventDefault();
      event.returnValue = "";
    }
  });
  document.addEventListener("htmx:responseError", function (event) {
    // Error pages answered with HX-Retarget are swapped by htmx itself.
    var xhr = event.detail.xhr;
    if (!xhr || !xhr.getResponseHeader("HX-Retarget")) { showError(); }
  });
})();
