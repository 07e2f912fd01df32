// Runs the in-browser verification on a page and shows the result in Chinese and English.
//
// The page (served by the registry) carries its trust configuration on one element:
//
//   <section id="tanji-verify" data-bundle-url="/api/v1/labels/ID/bundle" data-rpc-url="/rpc"
//            data-chain-id="31337" data-contracts="0xabc…,0xdef…" data-issuers="0x…"></section>
//
// `?rpc=https://my-node.example` in the page's address replaces data-rpc-url, so a reader can ask a
// node of their own choosing; the chain id and trusted contracts stay the page's. The bundle's own
// anchor.contract is never trusted by itself.

import { Code, verifyBundle } from "./tanji-verify.js";

const VERDICTS = {
  VALID: {
    icon: "✓",
    zh: "真实有效",
    en: "Genuine",
    zhText: "本标签已在区块链上独立核验。",
    enText: "This label was checked independently against the blockchain.",
  },
  INVALID: {
    icon: "✗",
    zh: "无效",
    en: "Not genuine",
    zhText: "本标签未通过核验，请勿信任。",
    enText: "This label failed verification: do not rely on it.",
  },
  ERROR: {
    icon: "!",
    zh: "无法验证",
    en: "Could not verify",
    zhText: "暂时无法完成核验（例如链节点无法连接），这并不表示标签是伪造的。",
    enText:
      "Verification could not be completed (e.g. the chain node is unreachable); this does not mean the label is forged.",
  },
  PENDING: {
    icon: "…",
    zh: "待上链",
    en: "Pending",
    zhText: "该记录尚未锚定到区块链。",
    enText: "The record is not yet anchored on the blockchain.",
  },
};

const CHECK_LABELS = {
  format: ["证明包格式", "Bundle format"],
  integrity: ["记录完整", "Record integrity"],
  inclusion: ["包含于批次", "Included in its batch"],
  anchored: ["链上锚定", "Anchored on chain"],
  not_revoked: ["未撤销", "Not revoked"],
  issuer: ["发证方", "Issuer"],
};

const MARKS = { VALID: "✓", INVALID: "✗", ERROR: "!", SKIPPED: "–" };

function el(doc, tag, attrs = {}, ...children) {
  const node = doc.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  for (const child of children) node.append(child); // text is inserted as text, never as HTML
  return node;
}

function list(value) {
  return (value || "").split(/[\s,]+/).filter(Boolean);
}

/** The verification settings a page element carries, with the `?rpc=` override applied. */
export function settingsFrom(element, location = globalThis.location) {
  const params = new URLSearchParams(location?.search || "");
  const override = params.get("rpc");
  const pageRpc = element.dataset.rpcUrl || "";
  return {
    bundleUrl: element.dataset.bundleUrl || "",
    rpcUrl: override || pageRpc,
    rpcOverridden: Boolean(override),
    chainId: element.dataset.chainId,
    contracts: list(element.dataset.contracts),
    issuers: list(element.dataset.issuers),
    timeoutMs: Number(element.dataset.timeoutMs) || undefined,
  };
}

/** Show "verifying…" in the element. */
export function renderBusy(element) {
  const doc = element.ownerDocument;
  element.dataset.state = "busy";
  element.setAttribute("aria-busy", "true");
  element.replaceChildren(
    el(
      doc,
      "p",
      { class: "tv-busy" },
      el(doc, "span", { lang: "zh" }, "正在独立核验…"),
      " ",
      el(doc, "span", { lang: "en" }, "Verifying independently…"),
    ),
  );
}

/** Render a verification report (from verifyBundle) into the element, in Chinese and English. */
export function renderReport(element, report, settings = {}) {
  const doc = element.ownerDocument;
  const v = VERDICTS[report.status] || VERDICTS.ERROR;
  element.dataset.state = "done";
  element.dataset.verdict = report.status;
  element.removeAttribute("aria-busy");
  element.classList.add("tv", `tv-${report.status.toLowerCase()}`);

  const verdict = el(
    doc,
    "div",
    { class: "tv-verdict", role: "status" },
    el(doc, "span", { class: "tv-icon", "aria-hidden": "true" }, v.icon),
    el(doc, "strong", { lang: "zh" }, v.zh),
    " ",
    el(doc, "strong", { lang: "en", class: "tv-en" }, v.en),
  );
  const summary = el(
    doc,
    "p",
    { class: "tv-summary" },
    el(doc, "span", { lang: "zh" }, v.zhText),
    " ",
    el(doc, "span", { lang: "en", class: "tv-en" }, v.enText),
  );

  const items = report.checks.map((c) => {
    const [zh, en] = CHECK_LABELS[c.check] || [c.check, c.check];
    const where = c.path ? `${c.path} · ` : "";
    return el(
      doc,
      "li",
      {
        class: `tv-check tv-${c.status.toLowerCase()}`,
        "data-check": c.name,
        "data-status": c.status,
        "data-code": String(c.code),
      },
      el(doc, "span", { class: "tv-mark", "aria-label": c.status }, MARKS[c.status] || "?"),
      " ",
      el(doc, "span", { class: "tv-name" }, `${where}${zh} ${en}`),
      el(doc, "span", { class: "tv-reason", lang: "zh" }, c.reason_zh),
      el(doc, "span", { class: "tv-reason tv-en", lang: "en" }, c.reason_en),
    );
  });
  const checks = el(doc, "ul", { class: "tv-checks" }, ...items);

  const nodeText = settings.rpcUrl ? String(settings.rpcUrl) : "—";
  const node = el(
    doc,
    "p",
    { class: "tv-node" },
    el(doc, "span", { lang: "zh" }, settings.rpcOverridden ? "使用您指定的链节点：" : "链节点："),
    " ",
    el(
      doc,
      "span",
      { lang: "en", class: "tv-en" },
      settings.rpcOverridden ? "Your chosen chain node:" : "Chain node:",
    ),
    " ",
    el(doc, "code", { class: "tv-rpc" }, nodeText),
    settings.chainId ? ` · chain ${settings.chainId}` : "",
  );
  const how = el(
    doc,
    "p",
    { class: "tv-how" },
    el(
      doc,
      "span",
      { lang: "zh" },
      "在您的设备上重新计算记录摘要与默克尔根，并向链节点查询。可在网址后加 ?rpc=节点地址 以使用您自己的节点。",
    ),
    " ",
    el(
      doc,
      "span",
      { lang: "en", class: "tv-en" },
      "Recomputed on your device and checked with a chain node; add ?rpc=<node URL> to use your own node.",
    ),
  );
  const parts = [verdict, summary, checks];
  if (report.notChecked?.length) {
    // Said plainly rather than left out: these statements were not checked on this device.
    parts.push(
      el(
        doc,
        "p",
        { class: "tv-not-checked", "data-not-checked": report.notChecked.map((c) => c.name).join(" ") },
        el(
          doc,
          "span",
          { lang: "zh" },
          `供应商签名与互认声明（${report.notChecked.length} 项）未在浏览器中核验，请使用 tanji verify。`,
        ),
        " ",
        el(
          doc,
          "span",
          { lang: "en", class: "tv-en" },
          `Supplier signatures and recognitions (${report.notChecked.length}) are not checked in the browser: use tanji verify.`,
        ),
      ),
    );
  }
  element.replaceChildren(...parts, node, how);
}

async function fetchBundle(url, timeoutMs) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    const response = await fetch(url, {
      signal: controller.signal,
      headers: { Accept: "application/json" },
      cache: "no-store",
    });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return await response.text();
  } finally {
    clearTimeout(timer);
  }
}

function unreadable(message) {
  return {
    status: "ERROR",
    checks: [
      {
        name: "format",
        check: "format",
        path: "",
        status: "ERROR",
        code: Code.BUNDLE_UNREADABLE,
        reason_en: `the bundle could not be fetched: ${message}`,
        reason_zh: `无法获取证明包：${message}`,
        data: {},
      },
    ],
    record: { type: null, id: null },
  };
}

/** Verify the bundle named by one element and render the result into it. */
export async function verifyElement(element, location = globalThis.location) {
  const settings = settingsFrom(element, location);
  renderBusy(element);
  let report;
  if (!settings.bundleUrl) {
    report = unreadable("the page names no bundle (data-bundle-url)");
  } else {
    let text = null;
    try {
      text = await fetchBundle(settings.bundleUrl, settings.timeoutMs || 10000);
    } catch (exc) {
      report = unreadable(exc?.name === "AbortError" ? "timed out" : String(exc?.message || exc));
    }
    if (text !== null) report = await verifyBundle(text, settings);
  }
  renderReport(element, report, settings);
  return report;
}

/** Find every verification element on the page (#tanji-verify, [data-tanji-verify]) and run it. */
export function autorun(doc = globalThis.document) {
  const elements = doc.querySelectorAll("#tanji-verify, [data-tanji-verify]");
  return Promise.all([...elements].map((e) => verifyElement(e)));
}

if (typeof document !== "undefined") {
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", () => autorun());
  else autorun();
}
