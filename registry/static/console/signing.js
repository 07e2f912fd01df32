// In-browser signing for the console (registry/api/routes/console_signing.py).
//
// The key never leaves this page: an encrypted keystore file (Web3 Secret Storage) is read and
// decrypted here with ethers (Wallet.fromEncryptedJson), or a browser wallet signs through
// EIP-1193 (eth_signTypedData_v4). The page asks the API for the typed data of the statement
// (validated, in normal form), shows what is signed, signs it here, and sends only the signed
// statement, with the session's CSRF token in the X-CSRF-Token header. Messages come from the
// page's catalogue (data-messages on #signing); no text is written here.
(function () {
  "use strict";

  const root = document.getElementById("signing");
  if (!root) return;
  const messages = JSON.parse(root.dataset.messages || "{}");
  const mode = root.dataset.mode;
  const byId = (id) => document.getElementById(id);

  /** The catalogue text of `key` with its {placeholders} filled from `values`. */
  function say(key, values) {
    const text = messages[key] || key;
    return text.replace(/\{(\w+)\}/g, (whole, name) =>
      values && name in values ? String(values[name]) : whole,
    );
  }

  function show(id, text) {
    const element = byId(id);
    if (element) element.textContent = text || "";
  }

  function clearOutcome() {
    show("result", "");
    show("error", "");
  }

  function fail(problem) {
    show("result", "");
    if (problem && problem.error) {
      const e = problem.error;
      show("error", say("js_error", { message: e.message, code: e.code, field: e.field || "-" }));
    } else {
      show("error", String((problem && problem.message) || problem));
    }
  }

  async function postJson(url, body) {
    const response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "X-CSRF-Token": byId("csrf-token").value,
      },
      body: JSON.stringify(body),
    });
    let payload = null;
    try {
      payload = await response.json();
    } catch (ignored) {
      payload = { error: { code: String(response.status), message: response.statusText } };
    }
    if (!response.ok) throw payload;
    return { status: response.status, body: payload };
  }

  function randomBytes32() {
    const bytes = new Uint8Array(32);
    crypto.getRandomValues(bytes);
    return "0x" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  const nowSeconds = () => Math.floor(Date.now() / 1000);

  // -- the key ---------------------------------------------------------------------------------

  let signer = null; // {address, sign(served) -> Promise<signature>}
  // A Web3 Secret Storage file is well under a kilobyte; anything this large is something else.
  const MAX_KEYSTORE_BYTES = 64 * 1024;

  function registered() {
    const list = byId("registered-keys");
    if (!list) return [];
    return Array.from(list.querySelectorAll("code"), (c) => c.textContent.trim().toLowerCase());
  }

  let unregistered = null; // a key opened in the page that is not registered yet

  function useSigner(candidate) {
    const box = byId("register-box");
    if (!registered().includes(candidate.address.toLowerCase())) {
      signer = null;
      unregistered = candidate;
      show("key-status", say("js_not_registered", { address: candidate.address }));
      box.hidden = false;
      return;
    }
    signer = candidate;
    unregistered = null;
    box.hidden = true;
    clearOutcome();
    show("key-status", say("js_unlocked", { address: candidate.address }));
  }

  // Register the opened key: it signs the registry's challenge (personal_sign) in the page.
  async function registerKey() {
    const candidate = unregistered;
    if (!candidate) return;
    clearOutcome();
    show("result", say("js_registering"));
    try {
      const url = `${root.dataset.keysUrl}/challenge?address=${encodeURIComponent(candidate.address)}`;
      const asked = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
      const challenge = await asked.json();
      if (!asked.ok) throw challenge;
      const signature = await candidate.signMessage(challenge.message);
      const reply = await postJson(root.dataset.keysUrl, { address: challenge.address, signature });
      const item = document.createElement("li");
      const code = document.createElement("code");
      code.textContent = reply.body.address;
      item.append(code);
      byId("registered-keys").append(item);
      const none = byId("no-keys");
      if (none) none.remove();
      useSigner(candidate);
      show("result", say("js_registered", { address: reply.body.address }));
    } catch (problem) {
      fail(problem);
    }
  }

  function chooseSource() {
    const wallet = byId("source-wallet").checked;
    byId("keystore-box").hidden = wallet;
    byId("wallet-box").hidden = !wallet;
  }

  async function openKeystore() {
    clearOutcome();
    const file = byId("keystore-file").files[0];
    const password = byId("keystore-password");
    if (!file) {
      fail(say("js_missing", { field: byId("keystore-file").labels[0].textContent }));
      return;
    }
    if (file.size > MAX_KEYSTORE_BYTES) {
      fail(say("js_bad_keystore"));
      return;
    }
    show("key-status", say("js_unlocking"));
    let wallet;
    try {
      wallet = await window.ethers.Wallet.fromEncryptedJson(await file.text(), password.value);
    } catch (ignored) {
      show("key-status", "");
      fail(say("js_bad_keystore"));
      return;
    } finally {
      password.value = "";
    }
    useSigner({
      address: wallet.address,
      sign: (served) => wallet.signTypedData(served.domain, served.types, served.message),
      signMessage: (text) => wallet.signMessage(text),
    });
  }

  async function connectWallet() {
    clearOutcome();
    const provider = window.ethereum;
    if (!provider || typeof provider.request !== "function") {
      fail(say("js_no_wallet"));
      return;
    }
    let accounts;
    try {
      accounts = await provider.request({ method: "eth_requestAccounts" });
    } catch (refusal) {
      fail(say("js_wallet_refused", { reason: (refusal && refusal.message) || refusal }));
      return;
    }
    const account = accounts[0];
    useSigner({
      address: window.ethers.getAddress(account),
      sign: async (served) => {
        await matchChain(provider, served.domain.chainId);
        return provider.request({
          method: "eth_signTypedData_v4",
          params: [account, JSON.stringify(served.wallet)],
        });
      },
      signMessage: (text) =>
        provider.request({
          method: "personal_sign",
          params: [window.ethers.hexlify(window.ethers.toUtf8Bytes(text)), account],
        }),
    });
  }

  // A wallet signs typed data only for the chain it is on: ask it to switch to the registry's
  // (a wallet that cannot say which chain it is on is left to judge for itself).
  async function matchChain(provider, chainId) {
    let current;
    try {
      current = await provider.request({ method: "eth_chainId" });
    } catch (ignored) {
      return;
    }
    if (Number(current) === Number(chainId)) return;
    await provider.request({
      method: "wallet_switchEthereumChain",
      params: [{ chainId: "0x" + Number(chainId).toString(16) }],
    });
  }

  // -- review, sign, send ----------------------------------------------------------------------

  let pending = null; // {served, send(signature) -> Promise<text>}

  function review(rows, next) {
    const list = byId("review");
    list.replaceChildren();
    for (const [key, value] of rows) {
      const term = document.createElement("dt");
      term.textContent = say(key);
      const detail = document.createElement("dd");
      detail.textContent = value;
      list.append(term, detail);
    }
    list.hidden = false;
    byId("review-empty").hidden = true;
    pending = next;
    const button = byId("sign");
    button.disabled = false;
    show("result", say("js_review"));
    button.focus();
  }

  async function signAndSend() {
    if (!pending) return;
    if (!signer) {
      fail(say("js_no_key"));
      return;
    }
    const current = pending;
    const button = byId("sign");
    button.disabled = true;
    show("error", "");
    try {
      show("result", say("js_signing"));
      const signature = await current.sign(current.served);
      show("result", say("js_sending"));
      show("result", await current.send(signature));
      pending = null;
    } catch (problem) {
      button.disabled = false;
      fail(problem);
    }
  }

  async function prepare(body, rows, send) {
    clearOutcome();
    if (!signer) {
      fail(say("js_no_key"));
      return;
    }
    show("result", say("js_preparing"));
    try {
      const served = (await postJson(root.dataset.typedDataUrl, body)).body;
      review(rows(served), { served, sign: signer.sign, send: (signature) => send(served, signature) });
    } catch (problem) {
      fail(problem);
    }
  }

  // -- a supplier's attestation ----------------------------------------------------------------

  function dayToUnix(id) {
    const value = byId(id).value;
    return value ? Math.floor(Date.parse(value + "T00:00:00Z") / 1000) : NaN;
  }

  function missing(ids) {
    for (const id of ids) {
      const element = byId(id);
      if (!element.value.trim()) {
        fail(say("js_missing", { field: element.labels[0].textContent }));
        element.focus();
        return true;
      }
    }
    return false;
  }

  function prepareAttestation() {
    if (!signer) {
      fail(say("js_no_key"));
      return;
    }
    const fields = ["customer", "productId", "componentId", "kgCo2ePerUnit", "periodStart"];
    if (missing([...fields, "periodEnd", "expiryDays"])) return;
    const upstream = byId("upstream")
      .value.split(/\s+/)
      .map((line) => line.trim().toLowerCase())
      .filter(Boolean)
      .sort();
    const message = {
      supplier: signer.address,
      componentId: byId("componentId").value.trim(),
      productId: byId("productId").value.trim(),
      declaredUnit: byId("declaredUnit").value,
      kgCo2ePerUnit: byId("kgCo2ePerUnit").value.trim(),
      systemBoundary: byId("systemBoundary").value,
      periodStart: dayToUnix("periodStart"),
      periodEnd: dayToUnix("periodEnd"),
      upstream: [...new Set(upstream)],
      nonce: randomBytes32(),
      expiry: nowSeconds() + Number(byId("expiryDays").value) * 86400,
    };
    const customer = byId("customer");
    const customerName = customer.options[customer.selectedIndex].textContent;
    const day = (seconds) => new Date(seconds * 1000).toISOString().slice(0, 10);
    prepare(
      { message },
      (served) => [
        ["review_product", served.message.productId],
        ["review_component", served.message.componentId],
        [
          "review_figure",
          `${served.message.kgCo2ePerUnit} kg CO₂e / ${served.message.declaredUnit} (${served.message.systemBoundary})`,
        ],
        ["review_period", `${day(served.message.periodStart)} – ${day(served.message.periodEnd)}`],
        ["review_customer", customerName],
        ["review_signer", served.message.supplier],
      ],
      async (served, signature) => {
        const reply = await postJson(root.dataset.pushUrl, {
          customer: customer.value,
          message: served.message,
          signature,
        });
        const key = reply.status === 201 ? "js_created" : "js_duplicate";
        return say(key, { customer: reply.body.customer_name, id: reply.body.id });
      },
    );
  }

  // -- a partner's recognition and withdrawal --------------------------------------------------

  const signedForm = (served) => ({
    types: served.types,
    primaryType: served.primaryType,
    domain: served.domain,
    message: served.message,
  });

  function addWithdrawControl(button, recognitionId) {
    const template = byId("withdraw-template");
    const cell = button.closest("tr") && button.closest("tr").querySelector(".recognitions");
    if (!template || !cell) return;
    const item = template.content.firstElementChild.cloneNode(true);
    item.id = "rec-" + recognitionId;
    const select = item.querySelector("select");
    select.id = "reason-" + recognitionId;
    item.querySelector("label").htmlFor = select.id;
    item.querySelector(".recognition-id").textContent = recognitionId.slice(0, 10) + "…";
    item.querySelector("a").href = `/api/v1/recognitions/${encodeURIComponent(recognitionId)}/bundle`;
    const withdraw = item.querySelector("button");
    withdraw.dataset.recognition = recognitionId;
    withdraw.dataset.reasonSelect = select.id;
    withdraw.addEventListener("click", () => prepareWithdrawal(withdraw));
    const none = cell.querySelector(".not-recognised");
    if (none) none.remove();
    cell.append(item);
  }

  function prepareRecognition(button) {
    if (!signer) {
      fail(say("js_no_key"));
      return;
    }
    const data = button.dataset;
    const message = {
      recognizer: signer.address,
      scheme: byId("scheme").value,
      subjectType: "label",
      subject: data.subject,
      category: data.category,
      scope: byId("scope-text").value.trim(),
      validFrom: Number(data.validFrom),
      validUntil: Number(data.validUntil),
      nonce: randomBytes32(),
    };
    prepare(
      { primaryType: "Recognition", message },
      (served) => [
        ["review_action", button.textContent.trim()],
        ["review_label", `${data.name} (${data.label})`],
        ["review_scheme", served.message.scheme],
        ["review_subject", served.message.subject],
        ["review_signer", served.message.recognizer],
      ],
      async (served, signature) => {
        const reply = await postJson(root.dataset.pushUrl, {
          typedData: signedForm(served),
          signature,
        });
        addWithdrawControl(button, reply.body.id);
        return say("js_recognised", { id: reply.body.id });
      },
    );
  }

  function prepareWithdrawal(button) {
    if (!signer) {
      fail(say("js_no_key"));
      return;
    }
    const id = button.dataset.recognition;
    const reason = byId(button.dataset.reasonSelect);
    const message = {
      recognizer: signer.address,
      recognition: id,
      reason: Number(reason.value),
      time: nowSeconds(),
    };
    prepare(
      { primaryType: "Withdrawal", message },
      (served) => [
        ["review_action", button.textContent.trim()],
        ["review_subject", served.message.recognition],
        ["review_scheme", reason.options[reason.selectedIndex].textContent],
        ["review_signer", served.message.recognizer],
      ],
      async (served, signature) => {
        const url = `${root.dataset.pushUrl}/${encodeURIComponent(id)}/withdraw`;
        const reply = await postJson(url, { typedData: signedForm(served), signature });
        const item = byId("rec-" + id);
        if (item) {
          for (const control of item.querySelectorAll("select, button, label")) control.remove();
          const state = item.querySelector(".recognition-state");
          if (state) state.textContent = reply.body.status;
        }
        return say("js_withdrawn", { id });
      },
    );
  }

  // -- wiring ----------------------------------------------------------------------------------

  for (const radio of document.querySelectorAll('input[name="key-source"]')) {
    radio.addEventListener("change", chooseSource);
  }
  chooseSource();
  byId("open-keystore").addEventListener("click", openKeystore);
  byId("connect-wallet").addEventListener("click", connectWallet);
  byId("register-key").addEventListener("click", registerKey);
  byId("sign").addEventListener("click", signAndSend);
  if (mode === "attest") {
    byId("prepare").addEventListener("click", prepareAttestation);
    for (const button of document.querySelectorAll("button.answer")) {
      button.addEventListener("click", () => {
        byId("customer").value = button.dataset.customer;
        byId("componentId").value = button.dataset.component;
        byId("productId").focus();
      });
    }
  } else {
    for (const button of document.querySelectorAll("button.recognise")) {
      button.addEventListener("click", () => prepareRecognition(button));
    }
    for (const button of document.querySelectorAll("button.withdraw")) {
      button.addEventListener("click", () => prepareWithdrawal(button));
    }
  }
})();
