// Forms carrying data-confirm ask once before they are sent, naming what will happen:
// 「注文番号 1024 の売上確定（12,345円）を実行します。よろしいですか？」.
//
// - Cancelling the dialog sends nothing and leaves the form and its button as they were.
// - Accepting lets the submission go on to submit-once.js (forms marked "once"), which
//   disables the button, so a double click still makes one request; a form already on its
//   way is not asked about again.
// - data-confirm-from="mode": the message is the data-confirm of the checked input of that
//   name (返金確定: 全額 / 一部); with none checked there is nothing to confirm yet and the
//   server's own check answers.
// - {amount} in a message is the form's field of that name read as whole yen (full-width
//   digits and commas allowed) and written as 12,345; a field that holds no amount leaves
//   the dialog out, for the server refuses such input and sends nothing anyway.
//
// The listener runs in the capture phase on the document, so it is asked before any
// listener on the form itself, whatever order the scripts are loaded in.
(function () {
  function yen(raw) {
    var digits = String(raw == null ? "" : raw).normalize("NFKC").replace(/[,\s]/g, "");
    if (!/^[0-9]{1,9}$/.test(digits)) { return null; }
    return Number(digits).toLocaleString("ja-JP");
  }

  function message(form) {
    var text = form.getAttribute("data-confirm");
    var from = form.getAttribute("data-confirm-from");
    if (from) {
      var chosen = Array.prototype.filter.call(form.elements, function (el) {
        return el.name === from && el.checked;
      })[0];
      if (!chosen || !chosen.getAttribute("data-confirm")) { return null; }
      text = chosen.getAttribute("data-confirm");
    }
    if (!text) { return null; }
    var unreadable = false;
    text = text.replace(/\{([a-z_]+)\}/g, function (_, name) {
      var field = form.elements.namedItem(name);
      var value = field ? yen(field.value) : null;
      if (value === null) { unreadable = true; }
      return value;
    });
    return unreadable ? null : text;
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-confirm")) { return; }
    if (form.dataset.sent) { return; }  // already sent: submit-once.js holds this one back
    var text = message(form);
    if (text === null) { return; }
    if (!window.confirm(text)) {
      event.preventDefault();
      event.stopImmediatePropagation();  // submit-once.js never sees it: the button stays usable
    }
  }, true);
})();
