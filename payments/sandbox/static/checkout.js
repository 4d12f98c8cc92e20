/*
 * Sandbox look-alike of Paidy Checkout's browser script.
 *
 *   var handler = Paidy.configure({api_key: "pk_...", logo_url: "...", closed: function (data) {}});
 *   handler.launch(payload);
 *
 * The modal walks the buyer through the same steps as Paidy's (contact check, one-time code,
 * number of payments, confirmation) and then posts to the sandbox's "<base>/payments", where
 * <base> is this script's own URL without "/checkout.js". Test data: the code is 8888, and
 * rejected.payment@paidy.com is always declined.
 *
 * Every value from the shop or the buyer is inserted as text, never as markup.
 */
(function (global) {
  "use strict";

  var OTP_CODE = "8888";
  var SPLIT_MIN_AMOUNT = 3000;
  var SPLIT_COUNT = 3;
  var THANKS_DELAY_MS = 1500;
  var MODAL_ID = "paidy-sandbox-modal";
  var STYLE_ID = "paidy-sandbox-style";

  var STEPS = [
    { key: "info", label: "決済情報確認" },
    { key: "otp", label: "認証コード入力" },
    { key: "plan", label: "支払回数選択" },
    { key: "confirm", label: "決済確認" }
  ];

  var BASE = scriptBase();

  function scriptBase() {
    var script = document.currentScript;
    var src = script && script.src;
    if (!src) {
      var scripts = document.getElementsByTagName("script");
      for (var i = scripts.length - 1; i >= 0; i--) {
        if (/\/checkout\.js(?:[?#].*)?$/.test(scripts[i].src || "")) {
          src = scripts[i].src;
          break;
        }
      }
    }
    return (src || "").replace(/[?#].*$/, "").replace(/\/checkout\.js$/, "");
  }

  // -- small helpers ---------------------------------------------------------------------

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (name) {
        var value = attrs[name];
        if (value === undefined || value === null || value === false) return;
        if (name === "text") node.textContent = String(value);
        else if (name.slice(0, 2) === "on") node.addEventListener(name.slice(2), value);
        else node.setAttribute(name, value === true ? "" : String(value));
      });
    }
    (children || []).forEach(function (child) {
      if (child === null || child === undefined || child === false) return;
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function yen(amount) {
    var n = Math.round(Number(amount) || 0);
    var sign = n < 0 ? "-" : "";
    return sign + "¥" + String(Math.abs(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  }

  function toHalfWidth(value) {
    return String(value || "").replace(/[０-９]/g, function (c) {
      return String.fromCharCode(c.charCodeAt(0) - 0xfee0);
    });
  }

  function phoneDigits(value) {
    // Hyphens (and the dashes Japanese keyboards produce) and spaces are ignored.
    return toHalfWidth(value).replace(/[\s\-‐‑‒–—―−ー－]/g, "");
  }

  function isMobile(digits) {
    return /^0[789]0\d{8}$/.test(digits);
  }

  function formatPhone(digits) {
    return digits.slice(0, 3) + "-" + digits.slice(3, 7) + "-" + digits.slice(7);
  }

  function isEmail(value) {
    return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value);
  }

  function nowIso() {
    return new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
  }

  function paymentDate() {
    var today = new Date();
    var due = new Date(today.getFullYear(), today.getMonth() + 1, 27);
    return due.getFullYear() + "年" + (due.getMonth() + 1) + "月" + due.getDate() + "日";
  }

  function safeImageUrl(url) {
    if (typeof url !== "string" || !url) return "";
    var trimmed = url.trim();
    return /^(https?:|data:image\/|\/|\.\.?\/)/i.test(trimmed) ? trimmed : "";
  }

  // -- styles ------------------------------------------------------------------------------

  // Every rule is scoped under the modal's id and starts from a reset, so the shop's own
  // stylesheet (which may style form, button, input or h2 globally) cannot reshape the modal.
  var CSS = [
    "@M,@M *{all:revert}",
    "@M{position:fixed;inset:0;z-index:2147483000;display:flex;align-items:center;",
    "justify-content:center;margin:0;padding:16px;background:rgba(30,20,40,.55);",
    "font-family:'Hiragino Kaku Gothic ProN','Hiragino Sans','Noto Sans CJK JP','Noto Sans JP',",
    "'Yu Gothic',Meiryo,system-ui,sans-serif;font-size:14px;font-weight:400;line-height:1.6;",
    "color:#222;text-align:left;letter-spacing:.02em;-webkit-font-smoothing:antialiased}",
    "@M,@M *,@M *::before,@M *::after{box-sizing:border-box}",
    "@M [hidden]{display:none!important}",
    "@M form,@M p,@M h2,@M dl,@M dt,@M dd{display:block;margin:0;padding:0;border:0}",
    "@M .psb-card{position:relative;width:400px;max-width:100%;max-height:calc(100vh - 32px);",
    "overflow:auto;background:#fff;border-radius:16px;box-shadow:0 18px 50px rgba(0,0,0,.3);",
    "padding:22px 28px 14px}",
    "@M .psb-x{position:absolute;top:10px;right:10px;width:36px;height:36px;margin:0;border:0;",
    "border-radius:50%;background:transparent;color:#777;font:400 26px/36px system-ui,sans-serif;",
    "text-align:center;cursor:pointer;padding:0}",
    "@M .psb-x:hover,@M .psb-x:focus-visible{background:#f3f0f4;color:#333;outline:none}",
    "@M .psb-header{display:flex;flex-direction:column;align-items:center;gap:4px;margin:0 0 14px}",
    "@M .psb-logo{width:56px;height:56px;border-radius:50%;border:1px solid #e6e0e8;overflow:hidden;",
    "display:flex;align-items:center;justify-content:center;background:#fbf7fa;color:#e6007e;",
    "font-size:22px;font-weight:700}",
    "@M .psb-logo img{width:100%;height:100%;object-fit:cover;display:block;margin:0;border:0}",
    "@M .psb-store{font-size:14px;font-weight:700;color:#333;text-align:center;overflow-wrap:anywhere;",
    "max-width:100%;margin-top:4px}",
    "@M .psb-amount-top{font-size:13px;color:#666}",
    "@M .psb-amount-top strong{font-size:17px;font-weight:700;color:#222;margin-left:6px}",
    "@M .psb-progress{display:flex;gap:4px;margin:0 0 4px}",
    "@M .psb-progress span{display:block;flex:1;height:4px;border-radius:2px;background:#eee}",
    "@M .psb-progress span.psb-on{background:#e6007e}",
    "@M .psb-steplabel{font-size:11px;color:#888;margin:0 0 14px}",
    "@M .psb-title{font-size:17px;font-weight:700;margin:0 0 10px;color:#222;line-height:1.5}",
    "@M .psb-text{margin:0 0 12px;color:#333}",
    "@M .psb-note{font-size:12px;color:#777;margin:0 0 12px}",
    "@M .psb-field{display:block;margin:0 0 12px}",
    "@M .psb-field span{display:block;font-size:12px;color:#666;margin:0 0 4px}",
    "@M .psb-input{display:block;width:100%;height:44px;margin:0;padding:0 12px;border:1px solid #ccc;",
    "border-radius:8px;font:inherit;font-size:16px;color:#222;background:#fff;box-shadow:none}",
    "@M .psb-input:focus{outline:none;border-color:#e6007e;box-shadow:0 0 0 3px rgba(230,0,126,.15)}",
    "@M .psb-input[aria-invalid=true]{border-color:#d93025}",
    "@M .psb-otp{text-align:center;font-size:26px;letter-spacing:.6em;padding-left:calc(12px + .6em);",
    "margin:0 0 8px}",
    "@M .psb-alert{margin:0 0 12px;padding:10px 12px;border-radius:8px;background:#fdecee;",
    "color:#b3261e;font-size:13px;border:1px solid #f5c2c7}",
    "@M .psb-alert[hidden]{display:none}",
    "@M .psb-btn{display:block;width:100%;height:48px;margin:8px 0 4px;padding:0 16px;border:0;",
    "border-radius:24px;background:#e6007e;color:#fff;font:inherit;font-size:16px;font-weight:700;",
    "text-align:center;cursor:pointer}",
    "@M .psb-btn:hover{background:#cc0070}",
    "@M .psb-btn:focus-visible{outline:3px solid rgba(230,0,126,.35);outline-offset:2px}",
    "@M .psb-btn[disabled]{background:#e9b3cf;cursor:default}",
    "@M .psb-btn-sub{background:#fff;color:#e6007e;border:1px solid #e6007e}",
    "@M .psb-btn-sub:hover{background:#fdf0f7}",
    "@M .psb-btn-sub[disabled]{background:#fff;color:#e9b3cf;border-color:#e9b3cf}",
    "@M .psb-row{display:flex;gap:10px;margin-top:8px}",
    "@M .psb-row .psb-btn{flex:1}",
    "@M .psb-link{display:inline-block;margin:6px 0 0;color:#e6007e;font-size:13px;",
    "text-decoration:underline;cursor:pointer}",
    "@M .psb-option{display:flex;align-items:center;gap:12px;padding:14px 14px 14px 16px;margin:0 0 10px;",
    "border:1px solid #e3dde5;border-radius:12px}",
    "@M .psb-option-body{flex:1;min-width:0}",
    "@M .psb-option-name{font-weight:700;font-size:15px}",
    "@M .psb-option-amount{font-size:14px;color:#333}",
    "@M .psb-option-free{display:inline-block;margin-top:4px;font-size:11px;color:#e6007e;",
    "border:1px solid #f3b3d6;border-radius:4px;padding:0 6px}",
    "@M .psb-option .psb-btn{width:auto;height:36px;margin:0;padding:0 18px;font-size:14px;border-radius:18px}",
    "@M .psb-summary{margin:0 0 14px;border-top:1px solid #eee}",
    "@M .psb-summary div{display:flex;justify-content:space-between;gap:12px;padding:10px 0;",
    "border-bottom:1px solid #eee}",
    "@M .psb-summary dt{color:#666}",
    "@M .psb-summary dd{font-weight:700;text-align:right}",
    "@M .psb-center{text-align:center}",
    "@M .psb-mark{width:56px;height:56px;border-radius:50%;margin:4px auto 12px;display:flex;",
    "align-items:center;justify-content:center;font-size:28px;font-weight:700;color:#fff;background:#e6007e}",
    "@M .psb-mark-ng{background:#9e9e9e}",
    "@M .psb-footer{margin-top:14px;padding-top:10px;border-top:1px solid #f0f0f0;text-align:center;",
    "font-size:11px;color:#999}",
    "@M .psb-footer b{color:#e6007e;font-size:14px;font-weight:700;letter-spacing:.04em;margin-right:6px}"
  ].join("").replace(/@M/g, "#" + MODAL_ID);

  function injectStyle() {
    if (document.getElementById(STYLE_ID)) return;
    var style = el("style", { id: STYLE_ID });
    style.textContent = CSS;
    (document.head || document.documentElement).appendChild(style);
  }

  // -- one checkout session ------------------------------------------------------------------

  function Session(options, payload) {
    this.options = options;
    this.payload = payload && typeof payload === "object" ? payload : {};
    var buyer = this.payload.buyer || {};
    this.amount = Number(this.payload.amount) || 0;
    this.email = String(buyer.email || "");
    this.phone = String(buyer.phone || "");
    this.plan = null;
    this.step = null;
    this.posting = false;
    this.finished = false;
    this.closeConfirmOpen = false;
    this.lastData = null;
    this.onKey = this.onKey.bind(this);
  }

  Session.prototype.open = function () {
    injectStyle();
    var self = this;
    var storeName = String(this.payload.store_name || "");
    var logoUrl = safeImageUrl(this.options.logo_url);
    var logo = el("div", { "class": "psb-logo", "aria-hidden": "true" });
    if (logoUrl) logo.appendChild(el("img", { src: logoUrl, alt: "" }));
    else logo.textContent = storeName ? storeName.charAt(0) : "P";

    this.closeButton = el("button", {
      type: "button", "class": "psb-x", "data-role": "close",
      "aria-label": "ペイディの画面を閉じる", title: "閉じる",
      onclick: function () { self.requestClose(); }
    }, ["×"]);
    this.body = el("div", { "class": "psb-body" });
    this.confirmPanel = el("div", { "class": "psb-confirm", "data-role": "close-confirm", hidden: true });
    this.card = el("div", { "class": "psb-card" }, [
      this.closeButton,
      el("div", { "class": "psb-header" }, [
        logo,
        storeName ? el("div", { "class": "psb-store", "data-role": "store-name", text: storeName }) : null,
        el("div", { "class": "psb-amount-top" }, ["お支払い金額", el("strong", { text: yen(this.amount) })])
      ]),
      this.body,
      this.confirmPanel,
      el("div", { "class": "psb-footer" }, [el("b", { text: "paidy" }), "サンドボックス（テスト環境）"])
    ]);
    this.root = el("div", {
      id: MODAL_ID, role: "dialog", "aria-modal": "true", "aria-label": "ペイディ決済"
    }, [this.card]);

    this.savedOverflow = document.documentElement.style.overflow;
    document.documentElement.style.overflow = "hidden";
    document.body.appendChild(this.root);
    document.addEventListener("keydown", this.onKey, true);
    this.showInfo();
  };

  Session.prototype.onKey = function (event) {
    if (event.key === "Escape" && !this.finished) {
      event.preventDefault();
      if (this.closeConfirmOpen) this.cancelClose();
      else this.requestClose();
    }
  };

  Session.prototype.render = function (key, nodes, focusSelector) {
    this.step = key;
    this.root.setAttribute("data-step", key);
    this.body.setAttribute("data-step", key);
    this.body.textContent = "";
    var index = -1;
    for (var i = 0; i < STEPS.length; i++) if (STEPS[i].key === key) index = i;
    if (index >= 0) {
      this.body.setAttribute("data-step-label", STEPS[index].label);
      var bar = el("div", { "class": "psb-progress", "aria-hidden": "true" });
      for (var j = 0; j < STEPS.length; j++) bar.appendChild(el("span", { "class": j <= index ? "psb-on" : "" }));
      this.body.appendChild(bar);
      // The step's name stays in data-step-label: shown, "支払回数選択" would also match
      // a search for the "選択" buttons.
      this.body.appendChild(el("p", {
        "class": "psb-steplabel", text: "ステップ " + (index + 1) + "/" + STEPS.length
      }));
    } else {
      this.body.removeAttribute("data-step-label");
    }
    var body = this.body;
    nodes.forEach(function (node) { if (node) body.appendChild(node); });
    this.closeButton.hidden = this.posting;
    var target = focusSelector && this.body.querySelector(focusSelector);
    if (target) target.focus();
  };

  Session.prototype.alertBox = function () {
    return el("div", { "class": "psb-alert", role: "alert", "data-role": "alert", hidden: true });
  };

  function showAlert(box, messages) {
    box.textContent = "";
    messages.forEach(function (message) { box.appendChild(el("p", { text: message })); });
    box.hidden = messages.length === 0;
  }

  function form(onSubmit, children) {
    return el("form", {
      novalidate: true, autocomplete: "on",
      onsubmit: function (event) { event.preventDefault(); onSubmit(); }
    }, children);
  }

  // Step 1: e-mail address and mobile number.
  Session.prototype.showInfo = function () {
    var self = this;
    var alert = this.alertBox();
    var email = el("input", {
      "class": "psb-input", type: "email", name: "email", autocomplete: "email",
      "data-role": "email", value: this.email
    });
    var phone = el("input", {
      "class": "psb-input", type: "tel", name: "phone", autocomplete: "tel", inputmode: "tel",
      "data-role": "phone", value: this.phone
    });
    function submit() {
      var errors = [];
      var emailValue = email.value.trim();
      var digits = phoneDigits(phone.value);
      email.setAttribute("aria-invalid", String(!isEmail(emailValue)));
      phone.setAttribute("aria-invalid", String(!isMobile(digits)));
      if (!isEmail(emailValue)) errors.push("メールアドレスを入力してください");
      if (!isMobile(digits)) errors.push("携帯電話番号を入力してください");
      showAlert(alert, errors);
      if (errors.length) {
        (isEmail(emailValue) ? phone : email).focus();
        return;
      }
      self.email = emailValue;
      self.phone = digits;
      self.showOtp();
    }
    this.render("info", [
      form(submit, [
        el("h2", { "class": "psb-title", text: "メールアドレスと携帯電話番号の確認" }),
        el("p", { "class": "psb-note", text: "ご本人確認のため、携帯電話番号にSMSで認証コードをお送りします。" }),
        alert,
        el("label", { "class": "psb-field" }, [el("span", { text: "メールアドレス" }), email]),
        el("label", { "class": "psb-field" }, [el("span", { text: "携帯電話番号" }), phone]),
        el("button", { type: "submit", "class": "psb-btn", "data-role": "next", text: "次へ" })
      ])
    ], this.email ? "[data-role=phone]" : "[data-role=email]");
  };

  // Step 2: the 4-digit code "sent" by SMS.
  Session.prototype.showOtp = function () {
    var self = this;
    var alert = this.alertBox();
    var code = el("input", {
      "class": "psb-input psb-otp", type: "text", name: "otp", inputmode: "numeric",
      maxlength: "4", pattern: "[0-9]*", autocomplete: "one-time-code", "data-role": "otp",
      "aria-label": "認証コード"
    });
    function submit() {
      if (toHalfWidth(code.value).trim() !== OTP_CODE) {
        code.setAttribute("aria-invalid", "true");
        showAlert(alert, ["認証コードが正しくありません"]);
        code.select();
        return;
      }
      self.showPlan();
    }
    this.render("otp", [
      form(submit, [
        el("h2", { "class": "psb-title", text: "認証コードの入力" }),
        el("p", { "class": "psb-text", "data-role": "otp-message",
                  text: formatPhone(this.phone) + "に届いた4桁の認証コードを入力してください" }),
        alert,
        code,
        el("p", { "class": "psb-note", text: "テスト環境の認証コードは 8888 です。" }),
        el("button", { type: "submit", "class": "psb-btn", "data-role": "next", text: "次へ" }),
        el("div", { "class": "psb-center" }, [
          el("span", { "class": "psb-link", "data-role": "otp-help", text: "認証コードが届かない場合" })
        ])
      ])
    ], "[data-role=otp]");
  };

  Session.prototype.plans = function () {
    var plans = [{ key: "once", name: "翌月あと払い", amountText: yen(this.amount), free: false }];
    if (this.amount >= SPLIT_MIN_AMOUNT) {
      plans.push({
        key: "split3", name: SPLIT_COUNT + "回あと払い",
        amountText: "月々" + yen(Math.ceil(this.amount / SPLIT_COUNT)), free: true
      });
    }
    return plans;
  };

  // Step 3: pay next month, or in three.
  Session.prototype.showPlan = function () {
    var self = this;
    var options = this.plans().map(function (plan) {
      return el("div", { "class": "psb-option", "data-plan": plan.key }, [
        el("div", { "class": "psb-option-body" }, [
          el("div", { "class": "psb-option-name", text: plan.name }),
          el("div", { "class": "psb-option-amount", text: plan.amountText }),
          plan.free ? el("span", { "class": "psb-option-free", text: "分割手数料無料" }) : null
        ]),
        el("button", {
          type: "button", "class": "psb-btn", "data-role": "choose", text: "選択",
          onclick: function () { self.plan = plan; self.showConfirm(); }
        })
      ]);
    });
    this.render("plan", [el("h2", { "class": "psb-title", text: "お支払い回数を選ぶ" })].concat(options),
                "[data-role=choose]");
  };

  // Step 4: the summary and the button that pays.
  Session.prototype.showConfirm = function () {
    var self = this;
    var plan = this.plan;
    var alert = this.alertBox();
    var rows = [
      ["お支払い日", paymentDate()],
      ["お支払い回数", plan.name],
      ["お支払い金額", yen(this.amount)]
    ];
    if (plan.key === "split3") rows.push(["毎月のお支払い", plan.amountText]);
    var summary = el("dl", { "class": "psb-summary" }, rows.map(function (row) {
      return el("div", {}, [el("dt", { text: row[0] }), el("dd", { text: row[1] })]);
    }));
    var pay = el("button", {
      type: "button", "class": "psb-btn", "data-role": "pay", text: "お支払いを確定",
      onclick: function () { self.pay(pay, alert); }
    });
    this.render("confirm", [
      el("h2", { "class": "psb-title", text: "お支払い内容の確認" }),
      summary,
      alert,
      pay,
      el("button", {
        type: "button", "class": "psb-btn psb-btn-sub", "data-role": "back", text: "お支払い回数を選び直す",
        onclick: function () { if (!self.posting) self.showPlan(); }
      })
    ], "[data-role=pay]");
  };

  Session.prototype.pay = function (button, alert) {
    if (this.posting || this.finished) return;
    var self = this;
    this.posting = true;
    button.disabled = true;
    button.textContent = "処理中…";
    var back = this.body.querySelector("[data-role=back]");
    if (back) back.disabled = true;
    this.closeButton.hidden = true;
    showAlert(alert, []);

    var request = {
      api_key: String(this.options.api_key || ""),
      email: this.email,
      phone: this.phone,
      payload: this.payload
    };
    fetch(BASE + "/payments", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(request),
      credentials: "omit"
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        return { ok: response.ok, data: data || {} };
      });
    }).then(function (result) {
      self.posting = false;
      if (!result.ok) {
        self.showError(result.data.message || "決済を処理できませんでした。");
      } else if (result.data.status === "authorized") {
        self.showThanks(result.data);
      } else if (result.data.status === "rejected") {
        self.showRejected(result.data);
      } else {
        self.showError("決済を処理できませんでした。");
      }
    }, function () {
      self.posting = false;
      self.showError("通信エラーが発生しました。時間をおいてもう一度お試しください。");
    });
  };

  Session.prototype.showRejected = function (data) {
    var self = this;
    this.lastData = data;
    this.render("rejected", [
      el("div", { "class": "psb-mark psb-mark-ng", "aria-hidden": "true", text: "!" }),
      el("h2", { "class": "psb-title psb-center", text: "今回のお支払いは承認されませんでした" }),
      el("p", { "class": "psb-text", text: "恐れ入りますが、他の支払い方法をお選びください。" }),
      el("p", { "class": "psb-note", text: "今回、承認ならなかった理由の詳細はお伝えいたしませんが、ご了承ください。" }),
      el("button", {
        type: "button", "class": "psb-btn", "data-role": "other-method", text: "他の支払い方法を選ぶ",
        onclick: function () { self.finish(data); }
      })
    ], "[data-role=other-method]");
  };

  Session.prototype.showThanks = function (data) {
    var self = this;
    this.lastData = data;
    this.render("thanks", [
      el("div", { "class": "psb-mark", "aria-hidden": "true", text: "✓" }),
      el("h2", { "class": "psb-title psb-center", text: "ありがとうございました" }),
      el("p", { "class": "psb-text psb-center", text: "このあと、ショップの画面が表示されます。" })
    ]);
    setTimeout(function () { self.finish(data); }, THANKS_DELAY_MS);
  };

  Session.prototype.showError = function (message) {
    var self = this;
    this.render("error", [
      el("div", { "class": "psb-mark psb-mark-ng", "aria-hidden": "true", text: "!" }),
      el("h2", { "class": "psb-title psb-center", text: "お支払いを完了できませんでした" }),
      el("div", { "class": "psb-alert", role: "alert", "data-role": "error-message" }, [el("p", { text: message })]),
      el("button", {
        type: "button", "class": "psb-btn", "data-role": "dismiss", text: "閉じる",
        onclick: function () { self.finish(self.closedData()); }
      })
    ], "[data-role=dismiss]");
  };

  Session.prototype.closedData = function () {
    return { id: "", amount: this.amount, currency: "JPY", created_at: nowIso(), status: "closed" };
  };

  // The × button. Once the payment has an outcome there is nothing left to interrupt, so the
  // modal closes with that outcome; before that the buyer is asked to confirm.
  Session.prototype.requestClose = function () {
    if (this.posting || this.finished) return;
    if (this.step === "rejected" || this.step === "thanks") {
      this.finish(this.lastData);
      return;
    }
    if (this.step === "error") {
      this.finish(this.closedData());
      return;
    }
    var self = this;
    this.closeConfirmOpen = true;
    this.body.hidden = true;
    this.closeButton.hidden = true;
    this.confirmPanel.textContent = "";
    var ok = el("button", {
      type: "button", "class": "psb-btn", "data-role": "close-ok", text: "OK",
      onclick: function () { self.finish(self.closedData()); }
    });
    [
      el("h2", { "class": "psb-title psb-center", text: "お支払いを中断しますか？" }),
      el("p", { "class": "psb-text psb-center", text: "閉じるとお支払いが中断されます。" }),
      el("p", { "class": "psb-text psb-center", text: "それでもよろしいですか？" }),
      el("div", { "class": "psb-row" }, [
        el("button", {
          type: "button", "class": "psb-btn psb-btn-sub", "data-role": "close-cancel", text: "キャンセル",
          onclick: function () { self.cancelClose(); }
        }),
        ok
      ])
    ].forEach(function (node) { self.confirmPanel.appendChild(node); });
    this.confirmPanel.hidden = false;
    this.root.setAttribute("data-confirm-close", "true");
    ok.focus();
  };

  Session.prototype.cancelClose = function () {
    this.closeConfirmOpen = false;
    this.confirmPanel.hidden = true;
    this.confirmPanel.textContent = "";
    this.root.removeAttribute("data-confirm-close");
    this.body.hidden = false;
    this.closeButton.hidden = this.posting;
    var focusable = this.body.querySelector("input,button");
    if (focusable) focusable.focus();
  };

  Session.prototype.finish = function (data) {
    if (this.finished) return;
    this.finished = true;
    document.removeEventListener("keydown", this.onKey, true);
    if (this.root.parentNode) this.root.parentNode.removeChild(this.root);
    document.documentElement.style.overflow = this.savedOverflow || "";
    active = null;
    if (typeof this.options.closed === "function") this.options.closed(data);
  };

  var active = null;

  function configure(options) {
    var settings = {};
    Object.keys(options || {}).forEach(function (key) { settings[key] = options[key]; });
    return {
      launch: function (payload) {
        if (active) return; // one modal at a time
        var session = active = new Session(settings, payload);
        if (document.body) session.open();
        else document.addEventListener("DOMContentLoaded", function () { session.open(); }, { once: true });
      }
    };
  }

  global.Paidy = global.Paidy || {};
  global.Paidy.configure = configure;
})(window);
