// Template forms (B8): *Firm default* greys the Reminders fields and shows the firm's current
// values (disabled fields are not sent: the server keeps the template's own values);
// *Custom* brings the template's own values back, or what was typed before switching.
(function () {
  "use strict";

  function parts(box) {
    return {
      fieldset: box.querySelector("fieldset.reminder-fields"),
      enabled: box.querySelector('input[name="reminders"]'),
      interval: box.querySelector('input[name="interval_days"]'),
      count: box.querySelector('input[name="max_count"]'),
      note: box.querySelector("[data-inherit-note]"),
    };
  }

  function show(box, inherit) {
    var p = parts(box);
    if (!p.fieldset || !p.enabled || !p.interval || !p.count) { return; }
    if (inherit && !p.fieldset.disabled) {
      box.dataset.ownEnabled = p.enabled.checked ? "on" : "";
      box.dataset.ownInterval = p.interval.value;
      box.dataset.ownCount = p.count.value;
      p.enabled.checked = box.dataset.firmEnabled === "on";
      p.interval.value = box.dataset.firmInterval;
      p.count.value = box.dataset.firmCount;
    } else if (!inherit && p.fieldset.disabled) {
      p.enabled.checked = box.dataset.ownEnabled === "on";
      p.interval.value = box.dataset.ownInterval;
      p.count.value = box.dataset.ownCount;
    }
    p.fieldset.disabled = inherit;
    if (p.note) { p.note.classList.toggle("d-none", !inherit); }
  }

  function wire(root) {
    var boxes = (root || document).querySelectorAll("[data-reminder-choice]");
    for (var i = 0; i < boxes.length; i++) {
      var box = boxes[i];
      if (box.dataset.ready) { continue; }
      box.dataset.ready = "1";
      box.addEventListener("change", function (event) {
        if (event.target.name === "reminders_inherit") {
          show(event.currentTarget, event.target.value === "1");
        }
      });
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { wire(document); });
  } else {
    wire(document);
  }
  document.addEventListener("htmx:load", function (event) { wire(event.detail.elt); });
})();
