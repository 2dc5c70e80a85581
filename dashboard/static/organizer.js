// Organizers. Portal: each question's form is saved by htmx as the client answers; this shows
// "Saving…", retries a save that failed (network error or server error) until it goes
// through, lets a refused answer (422) show its message, and shows or hides the questions the
// server says are asked. Staff: the template editor's add / remove / reorder (SortableJS drag
// and drop, or the ↑/↓ buttons for keyboards). Texts come from data- attributes.
(function () {
  "use strict";

  // ---- portal: answers ---------------------------------------------------------------------
  const attempts = new WeakMap();
  const stateOf = (form) => form.querySelector(".question-state");

  document.addEventListener("htmx:beforeRequest", (event) => {
    const form = event.target.closest && event.target.closest("[data-answer-form]");
    if (!form) return;
    const state = stateOf(form);
    state.textContent = form.dataset.saving;
    state.className = "question-state small text-body-secondary";
    state.dataset.state = "saving";
  });

  document.addEventListener("htmx:beforeSwap", (event) => {
    const form = event.target.closest && event.target.closest("[data-answer-form]");
    if (form && event.detail.xhr.status === 422) {
      event.detail.shouldSwap = true; // the refusal's message, swapped out of band
      event.detail.isError = false;
    }
  });

  document.addEventListener("htmx:afterRequest", (event) => {
    const form = event.target.closest && event.target.closest("[data-answer-form]");
    if (!form) return;
    const status = event.detail.xhr ? event.detail.xhr.status : 0;
    if (status === 200 || status === 422 || status === 403) {
      attempts.delete(form);
      return;
    }
    // Not saved (offline, a timeout, a server error): say so and try again, a bit later each time.
    const count = (attempts.get(form) || 0) + 1;
    attempts.set(form, count);
    const state = stateOf(form);
    state.textContent = form.dataset.retrying;
    state.className = "question-state small text-danger";
    state.dataset.state = "retrying";
    window.setTimeout(() => window.htmx.trigger(form, "retry"), Math.min(2000 * count, 15000));
  });

  // Which questions are asked comes with every save (#organizer-shown, swapped out of band);
  // it is read from the page once htmx has put it there (the element is replaced, so events
  // may point at the old one).
  function applyShown() {
    const marker = document.getElementById("organizer-shown");
    if (!marker) return;
    const shown = new Set((marker.dataset.shown || "").split(" ").filter(Boolean));
    document.querySelectorAll("[data-question]").forEach((box) => {
      box.hidden = !shown.has(box.dataset.question);
    });
  }
  for (const name of ["htmx:oobAfterSwap", "htmx:afterSettle", "htmx:afterRequest"]) {
    document.addEventListener(name, () => window.setTimeout(applyShown, 0));
  }

  // ---- staff: the template editor ----------------------------------------------------------
  function newKey() {
    const bytes = new Uint8Array(4);
    window.crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function wireEditor(list) {
    if (list.dataset.ready) return;
    list.dataset.ready = "1";
    const form = list.closest("form");
    const template = form.querySelector("[data-question-template]");
    if (window.Sortable) {
      window.Sortable.create(list, { handle: ".drag-handle", animation: 120 });
    }
    form.querySelector("[data-add-question]").addEventListener("click", () => {
      const row = template.content.firstElementChild.cloneNode(true);
      const key = newKey();
      row.querySelector("[data-question-key]").value = key;
      const required = row.querySelector("[data-required]");
      required.value = key;
      required.id = `req-${key}`;
      required.nextElementSibling.htmlFor = `req-${key}`;
      list.append(row);
      row.querySelector("input[name=q_label]").focus();
    });
    list.addEventListener("click", (event) => {
      const row = event.target.closest("[data-question-row]");
      if (!row) return;
      if (event.target.closest("[data-remove-question]")) row.remove();
      const move = event.target.closest("[data-move]");
      if (move && move.dataset.move === "up" && row.previousElementSibling) {
        row.previousElementSibling.before(row);
      } else if (move && move.dataset.move === "down" && row.nextElementSibling) {
        row.nextElementSibling.after(row);
      }
      if (move) move.focus();
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("[data-question-list]").forEach(wireEditor);
  });
})();
