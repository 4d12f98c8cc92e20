// ご注文内容の確認 is the answer of the form that completed the order's details (POST /cart,
// or step 2): the page takes its own URL, /checkout/confirm, so that reloading it, going
// back to it or leaving it for the cart (which has the form's URL) is an ordinary GET.
(function () {
  var url = document.currentScript && document.currentScript.dataset.url;
  if (!url || !window.history || !window.history.replaceState) { return; }
  if (window.location.pathname !== url) {
    window.history.replaceState(null, "", url + window.location.hash);
  }
})();
