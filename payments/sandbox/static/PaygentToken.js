/*
 * The sandbox's stand-in for PAYGENT's token script (PaygentToken.js), with the same API:
 *
 *   var paygentToken = new PaygentToken();
 *   paygentToken.createToken(merchant_id, token_key,
 *       {card_number: "...", expire_year: "YY", expire_month: "MM", cvc: "...", name: "..."},
 *       function (response) {
 *         if (response.result == "0000") { response.tokenizedCardObject.token ... }
 *       });
 *
 * The card goes from the buyer's browser to the sandbox's token service only (never to the
 * shop), which answers with a one-time token that expires, or with an error code in `result`
 * (1100 merchant ID, 1200 token key, 1300/1301 card number, 1400/1401 expiry year,
 * 1500/1501 expiry month, 1502 expiry passed, 1600 security code, 1700 card holder,
 * 9000 the service could not be reached). `URL` may be set to another token service, as
 * with PAYGENT's script.
 */
(function (global) {
  "use strict";

  var script = document.currentScript;
  var base = script && script.src ? script.src.replace(/\/PaygentToken\.js(\?.*)?$/, "") : "";

  function PaygentToken() {
    this.URL = base + "/token";
  }

  function text(value) {
    return value === undefined || value === null ? "" : String(value);
  }

  PaygentToken.prototype.createToken = function (merchantId, tokenKey, card, callback) {
    card = card || {};
    var fields = {
      merchant_id: text(merchantId),
      token_key: text(tokenKey),
      card_number: text(card.card_number).replace(/[\s-]/g, ""),
      expire_year: text(card.expire_year),
      expire_month: text(card.expire_month),
      cvc: text(card.cvc),
      name: text(card.name)
    };
    var body = Object.keys(fields).map(function (key) {
      return encodeURIComponent(key) + "=" + encodeURIComponent(fields[key]);
    }).join("&");
    var done = false;
    function answer(response) {
      if (done) { return; }
      done = true;
      if (typeof callback === "function") { callback(response); }
    }
    var xhr = new XMLHttpRequest();
    xhr.open("POST", this.URL, true);
    // a simple request: no preflight, whatever origin the shop's page has
    xhr.setRequestHeader("Content-Type", "application/x-www-form-urlencoded");
    xhr.onload = function () {
      var response = null;
      try { response = JSON.parse(xhr.responseText); } catch (e) { response = null; }
      answer(response && response.result ? response : {result: "9000"});
    };
    xhr.onerror = function () { answer({result: "9000"}); };
    xhr.send(body);
  };

  global.PaygentToken = PaygentToken;
})(window);
