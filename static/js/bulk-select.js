// 未処理一覧: select all, and count what is selected (the server enforces the limit of 50).
(function () {
  var all = document.getElementById("select-all");
  var picks = Array.prototype.slice.call(document.querySelectorAll("input.pick"));
  var count = document.getElementById("selected-count");
  function update() {
    var n = picks.filter(function (p) { return p.checked; }).length;
    count.textContent = n;
    if (all) { all.checked = n > 0 && n === picks.length; }
  }
  if (all) {
    all.addEventListener("change", function () {
      picks.forEach(function (p) { p.checked = all.checked; });
      update();
    });
  }
  picks.forEach(function (p) { p.addEventListener("change", update); });
  // 全て選択 ticked while this script was still loading: honour it rather than undo it.
  if (all && all.checked && !picks.some(function (p) { return p.checked; })) {
    picks.forEach(function (p) { p.checked = true; });
  }
  update();
})();
