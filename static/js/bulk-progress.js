// 一括処理中: move the progress bar as orders finish; show the results when the run is done.
(function () {
  var box = document.getElementById("bulk-progress");
  if (!box) { return; }
  var bar = box.querySelector(".progress-bar");
  var meter = box.querySelector(".progress");
  var done = document.getElementById("progress-done");
  function poll() {
    fetch(box.dataset.url, {credentials: "same-origin"}).then(function (r) { return r.json(); })
      .then(function (p) {
        done.textContent = p.done;
        meter.setAttribute("aria-valuenow", p.done);
        bar.style.width = (p.total ? Math.round(100 * p.done / p.total) : 0) + "%";
        if (p.status === "done") { window.location.reload(); } else { setTimeout(poll, 400); }
      }, function () { setTimeout(poll, 1500); });
  }
  setTimeout(poll, 300);
})();
