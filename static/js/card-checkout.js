// Confirmation page → card: check the card form, have PAYGENT's token script turn the card
// into a one-time token, and post only the token (the card fields have no name, so the
// browser never sends them to the shop). One click, one token, one order.
(function () {
  "use strict";
  var box = document.getElementById("card");
  var form = document.getElementById("card-pay-form");
  var button = document.getElementById("card-pay");
  if (!box || !form || !button) { return; }
  var errorBox = document.getElementById("card-error");
  var label = button.textContent;
  var fields = {
    number: document.getElementById("card-number"),
    month: document.getElementById("card-exp-month"),
    year: document.getElementById("card-exp-year"),
    cvc: document.getElementById("card-cvc"),
    name: document.getElementById("card-name")
  };
  // PaygentToken's result codes, as the buyer should read them
  var TOKEN_MESSAGES = {
    "1300": ["number", "カード番号を入力してください。"],
    "1301": ["number", "カード番号に誤りがあります。ご確認ください。"],
    "1400": ["expiry", "有効期限（年）を選択してください。"],
    "1401": ["expiry", "有効期限（年）に誤りがあります。"],
    "1500": ["expiry", "有効期限（月）を選択してください。"],
    "1501": ["expiry", "有効期限（月）に誤りがあります。"],
    "1502": ["expiry", "有効期限が過ぎています。ご確認ください。"],
    "1600": ["cvc", "セキュリティコードは3桁または4桁の半角数字で入力してください。"],
    "1700": ["name", "カード名義は半角ローマ字で入力してください。"]
  };
  var UNAVAILABLE = "ただいまカード情報を確認できません。時間をおいて再度お試しいただくか、他のお支払い方法をお選びください。";

  function toHalfWidth(value) {
    return (value || "").replace(/[０-９Ａ-Ｚａ-ｚ　]/g, function (c) {
      return c === "　" ? " " : String.fromCharCode(c.charCodeAt(0) - 0xFEE0);
    });
  }

  function clearErrors() {
    errorBox.hidden = true;
    errorBox.textContent = "";
    Array.prototype.forEach.call(box.querySelectorAll(".field"), function (field) {
      field.classList.remove("has-error");
      var old = field.querySelector(".error");
      if (old) { old.remove(); }
    });
  }

  function fieldError(which, message) {
    var field = box.querySelector('.field[data-for="' + which + '"]');
    if (!field) { return topError(message); }
    field.classList.add("has-error");
    var p = document.createElement("p");
    p.className = "error";
    p.setAttribute("role", "alert");
    p.textContent = message;
    field.appendChild(p);
  }

  function topError(message) {
    errorBox.textContent = message;
    errorBox.hidden = false;
  }

  // The first field in error takes the focus, which also brings it into view.
  var FIRST_CONTROL = {number: "number", expiry: "month", cvc: "cvc", name: "name"};
  function focusFirst(which) {
    var control = fields[FIRST_CONTROL[which]];
    if (control) { control.focus(); }
  }

  function card() {
    return {
      card_number: toHalfWidth(fields.number.value).replace(/[\s-]/g, ""),
      expire_month: fields.month.value,
      expire_year: fields.year.value,
      cvc: fields.cvc ? toHalfWidth(fields.cvc.value).trim() : "",
      name: toHalfWidth(fields.name.value).trim().toUpperCase()
    };
  }

  function problems(c) {
    var found = [];
    if (!c.card_number) { found.push(["number", "カード番号を入力してください。"]); }
    else if (!/^[0-9]{13,19}$/.test(c.card_number)) { found.push(["number", "カード番号は13〜19桁の半角数字で入力してください。"]); }
    if (!c.expire_month || !c.expire_year) { found.push(["expiry", "有効期限（月・年）を選択してください。"]); }
    else {
      var now = new Date();
      var year = 2000 + parseInt(c.expire_year, 10), month = parseInt(c.expire_month, 10);
      if (year < now.getFullYear() || (year === now.getFullYear() && month < now.getMonth() + 1)) {
        found.push(["expiry", "有効期限が過ぎています。ご確認ください。"]);
      }
    }
    if (fields.cvc && !/^[0-9]{3,4}$/.test(c.cvc)) { found.push(["cvc", "セキュリティコードは3桁または4桁の半角数字で入力してください。"]); }
    if (!c.name) { found.push(["name", "カード名義を入力してください。"]); }
    else if (!/^[A-Z][A-Z .'\-]{0,44}$/.test(c.name)) { found.push(["name", "カード名義は半角ローマ字で入力してください。"]); }
    return found;
  }

  // カードを登録する: required for 定期購入 (the box says so), else the member's choice
  var register = document.getElementById("card-register");
  function registering() {
    return box.dataset.register === "required" || (register && register.checked);
  }

  function ready() {
    button.disabled = false;
    button.textContent = label;
  }

  // 登録カード: a member may pay with a stored card (no card fields, no token)
  var newCard = document.getElementById("new-card");
  var registerBox = register ? register.closest(".field") : document.getElementById("card-register-note");
  function storedChoice() {
    var picked = box.querySelector('input[name="stored_card_id"]:checked');
    return picked && picked.value ? picked.value : "";
  }
  function showChoice() {
    var stored = !!storedChoice();
    if (newCard) { newCard.hidden = stored; }
    if (registerBox) { registerBox.hidden = stored; }
  }
  Array.prototype.forEach.call(box.querySelectorAll('input[name="stored_card_id"]'), function (radio) {
    radio.addEventListener("change", function () { clearErrors(); showChoice(); });
  });
  showChoice();

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (form.dataset.sending) { return; }  // a double click makes one token and one order
    clearErrors();
    if (storedChoice()) {
      form.dataset.sending = "1";
      button.disabled = true;
      button.textContent = "処理中…";
      form.elements.card_token.value = "";
      form.elements.register_token.value = "";
      form.submit();
      return;
    }
    var c = card();
    var found = problems(c);
    if (found.length) {
      found.forEach(function (p) { fieldError(p[0], p[1]); });
      topError("カード情報に誤りがあります。赤字の項目をご確認ください。");
      focusFirst(found[0][0]);
      return;
    }
    if (typeof PaygentToken === "undefined") { topError(UNAVAILABLE); return; }
    form.dataset.sending = "1";
    button.disabled = true;
    button.textContent = "処理中…";
    new PaygentToken().createToken(box.dataset.merchantId, box.dataset.tokenKey, c, function (response) {
      response = response || {};
      if (response.result === "0000" && response.tokenizedCardObject) {
        form.elements.card_token.value = response.tokenizedCardObject.token;
        form.elements.masked_card_number.value = response.tokenizedCardObject.masked_card_number || "";
        var send = function () {
          fields.number.value = "";  // nothing of the card stays on the page
          if (fields.cvc) { fields.cvc.value = ""; }
          form.submit();
        };
        if (!registering()) { send(); return; }
        // カードを登録する: a second one-time token, for PAYGENT's card store (025)
        new PaygentToken().createToken(box.dataset.merchantId, box.dataset.tokenKey, c, function (second) {
          second = second || {};
          if (second.result === "0000" && second.tokenizedCardObject) {
            form.elements.register_token.value = second.tokenizedCardObject.token;
            send();
            return;
          }
          delete form.dataset.sending;
          ready();
          topError(UNAVAILABLE);
        });
        return;
      }
      delete form.dataset.sending;
      ready();
      var known = TOKEN_MESSAGES[response.result];
      if (known) { fieldError(known[0], known[1]); topError("カード情報に誤りがあります。赤字の項目をご確認ください。"); focusFirst(known[0]); }
      else { topError(UNAVAILABLE); }
    });
  });

  // Sent back to the card form (#card) after a decline or an unfinished 3-D Secure: the
  // shop's message is shown at the top of the page, out of sight from here, so it moves
  // into the card form, where the buyer lands (and goes with the next attempt's check).
  if (window.location.hash === "#card") {
    var main = box.closest("main") || document.body;
    var moved = Array.prototype.filter.call(main.children, function (el) {
      return el.classList.contains("alert-error");
    });
    if (moved.length) {
      topError(moved.map(function (el) { return el.textContent.trim(); }).join("\n"));
      moved.forEach(function (el) { el.remove(); });
      box.scrollIntoView();
    }
  }

  // Back from the issuer's page (the browser's page cache): the form may be used again.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) { delete form.dataset.sending; ready(); }
  });

  // The pay button works once the token script is there (a click before would do nothing).
  if (typeof PaygentToken !== "undefined") { ready(); }
  else { window.addEventListener("load", function () { if (typeof PaygentToken !== "undefined") { ready(); } else { topError(UNAVAILABLE); } }); }
})();
