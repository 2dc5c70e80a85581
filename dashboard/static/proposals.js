// Proposals: the letter editor (templates/proposals/_letter_editor.html). A formatting area over
// the HTML source textarea, kept in sync; merge fields are inserted as text. The server
// sanitises whatever HTML comes in (nh3), so this is comfort, not a boundary.
(function () {
  "use strict";
  function wire(box) {
    if (box.dataset.ready) return;
    box.dataset.ready = "1";
    const source = box.querySelector("[data-letter-source]");
    const area = box.querySelector("[data-letter-area]");
    const toolbar = box.querySelector("[data-letter-toolbar]");
    // The source was sanitised by the server before it was put in the page.
    area.innerHTML = source.value;
    area.classList.remove("d-none");
    toolbar.classList.remove("d-none");
    source.classList.add("d-none");
    const sync = () => { source.value = area.innerHTML; };
    area.addEventListener("input", sync);
    toolbar.addEventListener("click", (event) => {
      const command = event.target.closest("[data-command]");
      const field = event.target.closest("[data-merge-field]");
      if (!command && !field) return;
      area.focus();
      if (field) {
        document.execCommand("insertText", false, field.dataset.mergeField);
      } else {
        let value = null;
        if (command.dataset.command === "createLink") {
          value = window.prompt(command.dataset.prompt || "https://", "https://");
          if (!value) return;
        }
        document.execCommand(command.dataset.command, false, value);
      }
      sync();
    });
    box.closest("form")?.addEventListener("submit", sync);
  }
  const wireAll = (root) => (root || document).querySelectorAll("[data-letter-editor]").forEach(wire);
  document.addEventListener("DOMContentLoaded", () => wireAll(document));
  document.addEventListener("htmx:load", (event) => wireAll(event.detail.elt));
})();
