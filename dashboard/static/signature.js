// Signatures: the portal's sign form (typed name or signature_pad drawing) and, for staff, the
// placement of each signer's box on the pdf.js preview (click a page, then drag the box).
// Strings come from data- attributes of the templates (translated there).
(function () {
  "use strict";

  // ---- portal: sign ------------------------------------------------------------------------
  function initSignForm(form) {
    if (form.dataset.ready) return;
    form.dataset.ready = "1";
    const canvas = form.querySelector("[data-signature-pad]");
    const hidden = form.querySelector("[data-drawing]");
    const typed = form.querySelector("[data-typed-name]");
    const preview = form.querySelector("[data-typed-preview]");
    let pad = null;

    function resize() {
      if (!pad || !canvas.offsetWidth) return;
      const ratio = Math.max(window.devicePixelRatio || 1, 1);
      const strokes = pad.toData();
      canvas.width = canvas.offsetWidth * ratio;
      canvas.height = canvas.offsetHeight * ratio;
      canvas.getContext("2d").scale(ratio, ratio);
      pad.clear();
      pad.fromData(strokes);
    }

    function show(method) {
      form.querySelectorAll("[data-method-panel]").forEach((panel) => {
        panel.hidden = panel.dataset.methodPanel !== method;
      });
      if (method === "drawn") {
        if (!pad) pad = new window.SignaturePad(canvas, { penColor: "#0d2a66", minWidth: 0.8, maxWidth: 2.6 });
        resize();
      }
    }

    form.querySelectorAll("input[name=method]").forEach((radio) => {
      radio.addEventListener("change", () => show(radio.value));
    });
    const checked = form.querySelector("input[name=method]:checked");
    show(checked ? checked.value : "typed");
    window.addEventListener("resize", resize);
    form.querySelector("[data-pad-clear]")?.addEventListener("click", () => pad && pad.clear());
    typed?.addEventListener("input", () => {
      preview.textContent = typed.value;
    });
    form.addEventListener("submit", (event) => {
      const method = form.querySelector("input[name=method]:checked")?.value;
      hidden.value = "";
      if (method !== "drawn") return;
      if (!pad || pad.isEmpty()) {
        event.preventDefault();
        const button = form.querySelector("[data-empty-drawing]");
        let note = form.querySelector("[data-drawing-missing]");
        if (!note) {
          note = document.createElement("div");
          note.className = "alert alert-warning py-2 mt-2";
          note.setAttribute("data-drawing-missing", "");
          note.setAttribute("role", "alert");
          canvas.closest(".signature-pad").after(note);
        }
        note.textContent = button.dataset.emptyDrawing;
        return;
      }
      hidden.value = pad.toDataURL("image/png");
    });
  }

  // ---- staff: place each signer's box on the preview ---------------------------------------
  const STAMP_WIDTH_PT = 170; // sealing.STAMP_WIDTH: the box is drawn at the stamp's true size
  function initPlacement(form) {
    if (form.dataset.ready) return;
    form.dataset.ready = "1";
    const preview = document.querySelector(form.dataset.placementFor);
    if (!preview) return;
    let placing = null; // the user id whose box the next click on a page puts down

    const field = (uid, name) => form.querySelector(`[name="${name}_${uid}"]`);
    const label = (uid) => form.querySelector(`[data-signer-name="${uid}"]`)?.textContent || "";

    function markerFor(uid) {
      let marker = preview.querySelector(`[data-marker-for="${uid}"]`);
      if (!marker) {
        marker = document.createElement("div");
        marker.className = "signature-marker";
        marker.dataset.markerFor = uid;
        marker.setAttribute("data-testid", `marker-${uid}`);
        marker.textContent = label(uid);
        marker.title = label(uid);
        marker.addEventListener("pointerdown", (event) => drag(event, uid, marker));
      }
      return marker;
    }

    function put(uid, page, x, y) {
      const slot = preview.querySelector(`.doc-preview-page[data-page="${page}"]`);
      if (!slot) return false;
      const marker = markerFor(uid);
      if (marker.parentElement !== slot) slot.append(marker);
      if (slot.dataset.widthPt) marker.style.width = `${(STAMP_WIDTH_PT / Number(slot.dataset.widthPt)) * 100}%`;
      const clampedX = Math.min(Math.max(x, 0), 1 - marker.offsetWidth / slot.offsetWidth);
      const clampedY = Math.min(Math.max(y, 0), 1 - marker.offsetHeight / slot.offsetHeight);
      marker.style.left = `${(clampedX * 100).toFixed(2)}%`;
      marker.style.top = `${(clampedY * 100).toFixed(2)}%`;
      field(uid, "page").value = String(page);
      field(uid, "x").value = clampedX.toFixed(4);
      field(uid, "y").value = clampedY.toFixed(4);
      const where = form.querySelector(`[data-place-where="${uid}"]`);
      if (where) where.textContent = where.dataset.pageLabel.replace("{page}", String(page));
      return true;
    }

    function fractions(event, slot) {
      const box = slot.getBoundingClientRect();
      return [(event.clientX - box.left) / box.width, (event.clientY - box.top) / box.height];
    }

    function drag(event, uid, marker) {
      event.preventDefault();
      event.stopPropagation();
      const slot = marker.parentElement;
      const box = marker.getBoundingClientRect();
      const grabX = event.clientX - box.left;
      const grabY = event.clientY - box.top;
      marker.setPointerCapture(event.pointerId);
      const move = (e) => {
        const page = slot.getBoundingClientRect();
        put(uid, slot.dataset.page, (e.clientX - grabX - page.left) / page.width, (e.clientY - grabY - page.top) / page.height);
      };
      const stop = () => {
        marker.removeEventListener("pointermove", move);
        marker.removeEventListener("pointerup", stop);
        marker.removeEventListener("pointercancel", stop);
      };
      marker.addEventListener("pointermove", move);
      marker.addEventListener("pointerup", stop);
      marker.addEventListener("pointercancel", stop);
    }

    preview.addEventListener("click", (event) => {
      if (!placing) return;
      const slot = event.target.closest(".doc-preview-page");
      if (!slot) return;
      const [x, y] = fractions(event, slot);
      put(placing, slot.dataset.page, x, y);
      placing = null;
      delete preview.dataset.placing;
    });

    form.addEventListener("click", (event) => {
      const place = event.target.closest("[data-place]");
      const reset = event.target.closest("[data-place-end]");
      const up = event.target.closest("[data-move-up]");
      if (place) {
        placing = place.dataset.place;
        preview.dataset.placing = placing;
        form.querySelector(`[name="signer"][value="${placing}"]`).checked = true;
        preview.scrollIntoView({ behavior: "smooth", block: "start" });
      } else if (reset) {
        const uid = reset.dataset.placeEnd;
        preview.querySelector(`[data-marker-for="${uid}"]`)?.remove();
        ["page", "x", "y"].forEach((name) => (field(uid, name).value = ""));
        const where = form.querySelector(`[data-place-where="${uid}"]`);
        if (where) where.textContent = where.dataset.endLabel;
      } else if (up) {
        const row = up.closest("[data-signer-row]");
        if (row.previousElementSibling) row.parentElement.insertBefore(row, row.previousElementSibling);
      }
    });

    // Boxes chosen before a refused submit come back with the form: put them again once the
    // pages exist (pdf.js lays them out after the panel is shown).
    const waiting = [...form.querySelectorAll("[data-signer-row]")]
      .map((row) => row.dataset.signerRow)
      .filter((uid) => field(uid, "page")?.value);
    if (waiting.length) {
      let tries = 0;
      const timer = setInterval(() => {
        tries += 1;
        const left = waiting.filter((uid) => !put(uid, field(uid, "page").value, Number(field(uid, "x").value), Number(field(uid, "y").value)));
        if (!left.length || tries > 50) clearInterval(timer);
        waiting.splice(0, waiting.length, ...left);
      }, 200);
    }
  }

  function scan(scope) {
    scope.querySelectorAll?.("[data-sign-form]").forEach(initSignForm);
    scope.querySelectorAll?.("[data-signature-placement]").forEach(initPlacement);
  }
  scan(document);
  document.addEventListener("htmx:load", (event) => scan(event.target));
})();
