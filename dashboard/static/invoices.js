// The invoice lines editor (templates/invoices/_lines.html): add a row, remove a row.
(function () {
  "use strict";
  document.addEventListener("click", (event) => {
    const add = event.target.closest("[data-add-line]");
    const remove = event.target.closest("[data-remove-line]");
    if (add) {
      const body = add.parentElement.querySelector("[data-invoice-lines] tbody");
      const last = body.querySelector("[data-line]:last-child");
      const row = last.cloneNode(true);
      row.querySelectorAll("input").forEach((input) => {
        input.value = input.name === "quantity" ? "1" : input.name === "vat_rate" ? input.value : "";
      });
      body.append(row);
      row.querySelector("input").focus();
    } else if (remove) {
      const row = remove.closest("[data-line]");
      const body = row.parentElement;
      if (body.querySelectorAll("[data-line]").length > 1) row.remove();
      else row.querySelectorAll("input").forEach((input) => (input.value = ""));
    }
  });
})();
