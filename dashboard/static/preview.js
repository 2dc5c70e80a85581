// The document preview (templates/documents/_preview.html): PDFs drawn by the vendored pdf.js
// into canvases, text shown as text (textContent, never HTML). Every string comes from the
// template's data- attributes (translated there); nothing is loaded from another origin.

const ZOOMS = [0.5, 0.75, 1, 1.25, 1.5, 2, 3]; // multiples of the width that fits
const FIT = ZOOMS.indexOf(1);
const MAX_CANVAS_WIDTH = 4096; // device pixels; beyond, the page is drawn blurrier, not bigger
const active = new Set();

function fail(root, error) {
  if (error && error.name === "RenderingCancelledException") return;
  console.error("document preview:", error);
  const alert = document.createElement("div");
  alert.className = "alert alert-warning mb-0";
  alert.setAttribute("data-testid", "preview-error");
  alert.textContent = root.dataset.error;
  root.replaceChildren(alert);
}

// ---- text and CSV --------------------------------------------------------------------------

function decode(bytes) {
  // UTF-8 when it is; otherwise the Windows code page most spreadsheets export in.
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes, { stream: true });
  } catch {
    return new TextDecoder("windows-1252").decode(bytes);
  }
}

async function showText(root) {
  const pre = root.querySelector("[data-text]");
  const limit = Number(root.dataset.limit);
  const cut = Number(root.dataset.size) > limit;
  const response = await fetch(root.dataset.src, {
    credentials: "same-origin",
    headers: cut ? { Range: `bytes=0-${limit - 1}` } : {},
  });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  let bytes = new Uint8Array(await response.arrayBuffer());
  if (bytes.length > limit) bytes = bytes.subarray(0, limit);
  pre.textContent = decode(bytes);
  if (cut) {
    const note = root.querySelector("[data-cut]");
    note.textContent = root.dataset.cutNote;
    note.hidden = false;
  }
}

// ---- PDF -----------------------------------------------------------------------------------

class PdfView {
  constructor(root, pdf) {
    this.root = root;
    this.pdf = pdf;
    this.zoom = FIT;
    this.box = root.querySelector("[data-pages]");
    this.count = root.querySelector("[data-page-count]");
    this.label = root.dataset.pageLabel;
    this.sheet = document.createElement("div");
    this.sheet.className = "doc-preview-sheet";
    this.box.replaceChildren(this.sheet);
    this.slots = [];
    this.visible = new Set();
    this.boxWidth = 0;
  }

  async start() {
    const first = await this.pdf.getPage(1);
    const { width, height } = first.getViewport({ scale: 1 });
    for (let n = 1; n <= this.pdf.numPages; n += 1) {
      const slot = document.createElement("div");
      slot.className = "doc-preview-page";
      slot.dataset.page = String(n);
      slot.style.aspectRatio = `${width} / ${height}`; // until the page itself is known
      this.sheet.append(slot);
      this.slots.push({ n, el: slot, drawnWidth: 0, task: null });
    }
    this.applyZoom();
    // Pages are drawn as they come near the part of the box (or the window) that shows them.
    const scrolls = ["auto", "scroll"].includes(getComputedStyle(this.box).overflowY);
    this.observer = new IntersectionObserver((entries) => this.onIntersect(entries), {
      root: scrolls ? this.box : null,
      rootMargin: "400px 0px",
    });
    this.slots.forEach((slot) => this.observer.observe(slot.el));
    this.resizer = new ResizeObserver(() => this.onResize());
    this.resizer.observe(this.box);
    this.onScroll = () => this.scheduleCount();
    document.addEventListener("scroll", this.onScroll, { capture: true, passive: true });
    window.addEventListener("resize", this.onScroll, { passive: true });
    for (const button of this.root.querySelectorAll("[data-zoom]")) {
      button.addEventListener("click", () => this.setZoom(button.dataset.zoom));
    }
    this.updateButtons();
    this.updateCount();
  }

  onIntersect(entries) {
    for (const entry of entries) {
      const slot = this.slots[Number(entry.target.dataset.page) - 1];
      if (entry.isIntersecting) {
        this.visible.add(slot);
        this.draw(slot);
      } else {
        this.visible.delete(slot);
      }
    }
  }

  onResize() {
    const width = this.box.clientWidth;
    if (width === this.boxWidth) return;
    this.boxWidth = width;
    clearTimeout(this.resizeTimer);
    this.resizeTimer = setTimeout(() => this.redrawVisible(), 150);
  }

  setZoom(action) {
    if (action === "in") this.zoom = Math.min(this.zoom + 1, ZOOMS.length - 1);
    else if (action === "out") this.zoom = Math.max(this.zoom - 1, 0);
    else this.zoom = FIT;
    this.applyZoom();
    this.updateButtons();
    this.redrawVisible();
  }

  applyZoom() {
    this.sheet.style.width = `${ZOOMS[this.zoom] * 100}%`;
    this.root.dataset.zoom = String(ZOOMS[this.zoom]);
  }

  updateButtons() {
    for (const button of this.root.querySelectorAll("[data-zoom]")) {
      const action = button.dataset.zoom;
      button.disabled =
        (action === "in" && this.zoom === ZOOMS.length - 1) ||
        (action === "out" && this.zoom === 0) ||
        (action === "fit" && this.zoom === FIT);
    }
  }

  redrawVisible() {
    this.visible.forEach((slot) => this.draw(slot));
  }

  async draw(slot) {
    const cssWidth = slot.el.getBoundingClientRect().width;
    if (!cssWidth) return;
    const pixels = Math.min(Math.round(cssWidth * (window.devicePixelRatio || 1)), MAX_CANVAS_WIDTH);
    if (pixels === slot.drawnWidth) return;
    slot.drawnWidth = pixels;
    if (slot.task) slot.task.cancel();
    const page = await this.pdf.getPage(slot.n);
    const base = page.getViewport({ scale: 1 });
    slot.el.style.aspectRatio = `${base.width} / ${base.height}`;
    slot.el.dataset.widthPt = String(base.width); // for boxes sized in points (signatures)
    const viewport = page.getViewport({ scale: pixels / base.width });
    const canvas = document.createElement("canvas");
    canvas.width = Math.floor(viewport.width);
    canvas.height = Math.floor(viewport.height);
    const task = page.render({ canvas, viewport });
    slot.task = task;
    try {
      await task.promise;
    } catch (error) {
      if (error && error.name === "RenderingCancelledException") return;
      throw error;
    } finally {
      if (slot.task === task) slot.task = null;
    }
    if (slot.drawnWidth !== pixels) return; // the newest drawing wins
    // Only the page's own canvas is replaced: what others placed on it (signature markers) stays.
    slot.el.querySelector(":scope > canvas")?.remove();
    slot.el.prepend(canvas);
  }

  scheduleCount() {
    if (this.countFrame) return;
    this.countFrame = requestAnimationFrame(() => {
      this.countFrame = 0;
      this.updateCount();
    });
  }

  updateCount() {
    // The page that holds the line 40 % down the visible part of the pages (or the last one
    // above it); the pages scroll in their box on a wide screen, with the window on a phone.
    const box = this.box.getBoundingClientRect();
    const top = Math.max(box.top, 0);
    const bottom = Math.min(box.bottom, window.innerHeight);
    const line = top + Math.max(bottom - top, 0) * 0.4;
    let current = 1;
    for (const slot of this.slots) {
      if (slot.el.getBoundingClientRect().top <= line) current = slot.n;
      else break;
    }
    this.count.textContent = this.label
      .replace("{page}", String(current))
      .replace("{pages}", String(this.pdf.numPages));
  }

  destroy() {
    this.observer?.disconnect();
    this.resizer?.disconnect();
    document.removeEventListener("scroll", this.onScroll, { capture: true });
    window.removeEventListener("resize", this.onScroll);
    this.pdf.loadingTask.destroy();
  }
}

async function showPdf(root) {
  const pdfjs = await import(root.dataset.pdfjs);
  pdfjs.GlobalWorkerOptions.workerSrc = root.dataset.pdfjsWorker;
  const pdf = await pdfjs.getDocument({ url: root.dataset.src, enableXfa: false }).promise;
  const view = new PdfView(root, pdf);
  active.add(view);
  await view.start();
}

// A panel swapped out by htmx takes its PDF (and the worker's memory) with it.
new MutationObserver(() => {
  for (const view of active) {
    if (!view.root.isConnected) {
      active.delete(view);
      view.destroy();
    }
  }
}).observe(document.documentElement, { childList: true, subtree: true });

// ---- start ---------------------------------------------------------------------------------

function init(root) {
  if (root.dataset.previewReady) return;
  root.dataset.previewReady = "1";
  const show = { pdf: showPdf, text: showText }[root.dataset.preview];
  if (show) show(root).catch((error) => fail(root, error));
}

function scan(scope) {
  if (scope.matches?.("[data-preview]")) init(scope);
  scope.querySelectorAll?.("[data-preview]").forEach(init);
}

scan(document);
document.addEventListener("htmx:load", (event) => scan(event.target)); // panels swapped in later
