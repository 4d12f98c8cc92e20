// 帳票出力: 「印刷する」 opens the browser's print dialog (the page's print styles hide the menus).
document.querySelectorAll("[data-print]").forEach(function (button) {
  button.addEventListener("click", function () { window.print(); });
});
