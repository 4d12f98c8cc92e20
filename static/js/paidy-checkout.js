// Confirmation page → Paidy: create the pending order, open the modal, report its result.
(function () {
  "use strict";
  var button = document.getElementById("paidy-pay");
  if (!button) { return; }
  var errorBox = document.getElementById("paidy-error");
  var label = button.textContent;

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": button.dataset.csrf},
      body: JSON.stringify(body || {})
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        data._status = response.status;
        return data;
      });
    });
  }

  function fail(message) {
    errorBox.textContent = message;
    errorBox.hidden = false;
    button.disabled = false;
    button.textContent = label;
  }

  button.addEventListener("click", function () {
    if (button.disabled) { return; }  // a double click opens one modal and one order
    button.disabled = true;
    button.textContent = "処理中…";
    errorBox.hidden = true;
    post(button.dataset.startUrl).then(function (start) {
      if (start._status !== 200) {
        if (start.redirect && !start.error) { window.location = start.redirect; return; }
        fail(start.error || "お手続きを開始できませんでした。時間をおいて再度お試しください。");
        return;
      }
      if (typeof Paidy === "undefined") {
        fail("ペイディの決済画面を読み込めませんでした。時間をおいて再度お試しください。");
        return;
      }
      var config = {
        api_key: button.dataset.apiKey,
        closed: function (result) {
          result = result || {};
          post(button.dataset.resultUrl, {
            order_number: start.order_number,
            status: result.status || "closed",
            id: result.id || ""
          }).then(function (answer) {
            window.location = answer.redirect || window.location.href;
          }, function () {
            fail("通信エラーが発生しました。ご注文の状況はメールをご確認ください。");
          });
        }
      };
      if (button.dataset.logoUrl) { config.logo_url = button.dataset.logoUrl; }
      Paidy.configure(config).launch(start.payload);
    }, function () {
      fail("通信エラーが発生しました。時間をおいて再度お試しください。");
    });
  });
  button.disabled = false;  // ready: the click handler is in place
})();
