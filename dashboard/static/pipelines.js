// Pipelines. The board: cards are dragged between columns with SortableJS and each drop is
// one htmx POST (stage, position) answered by the re-rendered board; the card's ⋯ menu does
// the same without a mouse. The settings: an automation's template list shows the templates
// of the chosen action, and its own reminder fields are used only when "Set for this
// automation" is chosen.
(function () {
  "use strict";

  function moveUrl(list, jobId) {
    return list.dataset.moveUrlTemplate.replace(/\/0\/move$/, "/" + jobId + "/move");
  }

  function dropped(event) {
    const to = event.to;
    if (event.from === to && event.oldIndex === event.newIndex) return;
    const board = document.getElementById("pipeline-jobs");
    to.classList.add("is-saving");
    window.htmx
      .ajax("POST", moveUrl(to, event.item.dataset.jobId), {
        source: board,
        target: "#pipeline-jobs",
        swap: "outerHTML",
        values: { stage_id: to.dataset.stageId, position: String(event.newIndex) },
      })
      .catch(() => {
        window.alert(board.dataset.moveError);
        window.location.reload();
      });
  }

  function wireBoard() {
    if (!window.Sortable) return;
    document.querySelectorAll(".board-cards").forEach((list) => {
      if (list.dataset.ready) return;
      list.dataset.ready = "1";
      window.Sortable.create(list, {
        group: "jobs",
        animation: 120,
        filter: ".dropdown, a, button",
        preventOnFilter: false,
        onEnd: dropped,
      });
    });
  }

  // ---- settings: automations -----------------------------------------------------------
  function showTemplates(form) {
    const action = form.querySelector("[data-action-select]").value;
    const select = form.querySelector("[data-template-select]");
    let firstMatch = null;
    let selectedMatches = false;
    select.querySelectorAll("optgroup").forEach((group) => {
      const matches = group.dataset.forAction === action;
      group.hidden = !matches;
      group.disabled = !matches;
      group.querySelectorAll("option").forEach((option) => {
        if (matches && !firstMatch) firstMatch = option;
        if (matches && option.selected) selectedMatches = true;
      });
    });
    if (!selectedMatches) {
      select.value = firstMatch ? firstMatch.value : "";
    }
    form.querySelector("[data-no-template]").hidden = Boolean(firstMatch);
  }

  function showOwnReminders(form) {
    const own = form.querySelector("input[name=reminder_source][value=own]").checked;
    const box = form.querySelector("[data-own-reminders]");
    box.hidden = !own;
    box.querySelectorAll("input").forEach((input) => {
      input.disabled = !own;
    });
  }

  function wireAutomationForms() {
    document.querySelectorAll("[data-automation-form]").forEach((form) => {
      if (form.dataset.ready) return;
      form.dataset.ready = "1";
      form.querySelector("[data-action-select]").addEventListener("change", () => showTemplates(form));
      form.querySelectorAll("input[name=reminder_source]").forEach((radio) => {
        radio.addEventListener("change", () => showOwnReminders(form));
      });
      showTemplates(form);
      showOwnReminders(form);
    });
  }

  function wire() {
    wireBoard();
    wireAutomationForms();
  }
  document.addEventListener("DOMContentLoaded", wire);
  document.addEventListener("htmx:afterSettle", wire);
  if (document.readyState !== "loading") wire();
})();
