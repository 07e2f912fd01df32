// Runs the in-browser verification on a page and shows the result in the reader's language.
//
// The page (served by the registry) carries its trust configuration on one element:
//
//   <section id="tanji-verify" data-lang="zh-Hans" data-bundle-url="/api/v1/labels/ID/bundle"
//            data-rpc-url="/rpc" data-chain-id="31337" data-contracts="0xabc…,0xdef…"
//            data-issuers="0x…" data-trust-url="/…/profile.json"></section>
//
// Every check of `tanji verify` runs here, supplier signatures and recognitions included. Whose
// recognitions count is a trust profile's call (its certification bodies), as with `tanji verify
// --trust`: `data-trust-url`, or the reader's own `?trust=<URL of a tanji-trust/1 file>`, names one,
// and it then replaces the element's chain, contracts and issuers entirely. `?rpc=<node URL>` in
// the page's address replaces data-rpc-url, so a reader can ask a node of their own choosing. The
// bundle's own anchor.contract is never trusted by itself.
//
// The language is the page's (data-lang, else the nearest lang attribute: zh, zh-CN and zh-Hans
// read as Simplified Chinese, zh-HK, zh-TW and zh-Hant as Traditional); each text is shown in it
// and, smaller, in its companion language (English for Chinese, Simplified Chinese for English).

import { Code, recognitionsSummary, resultMessage, trustFailure, verifyBundle } from "./tanji-verify.js";
import { DEFAULT_LANGUAGE, LANGUAGES, formatMessage, normalizeLanguage } from "./tanji-protocol.js";

// The page's own words, by language tag (the checks' messages come from the protocol catalogue).
const TEXT = {
  "zh-Hans": {
    verdict: {
      VALID: ["真实有效", "本标签已在区块链上独立核验。"],
      INVALID: ["无效", "本标签未通过核验，请勿信任。"],
      ERROR: ["无法验证", "暂时无法完成核验（例如链节点无法连接），这并不表示标签是伪造的。"],
      PENDING: ["待上链", "该记录尚未锚定到区块链。"],
      SUPERSEDED: ["已被取代", "本标签曾真实有效，现已由更新的标签取代，请以新标签为准。"],
    },
    checks: {
      format: "证明包格式",
      integrity: "记录完整",
      inclusion: "包含于批次",
      attestation_signature: "供应商签名",
      anchored: "链上锚定",
      not_revoked: "未撤销",
      issuer: "发证方",
      recognition: "互认",
    },
    busy: "正在独立核验…",
    node: "链节点：",
    ownNode: "使用您指定的链节点：",
    trust: "信任配置：",
    ownTrust: "使用您指定的信任配置：",
    chain: "链",
    how: "在您的设备上重新计算记录摘要、默克尔根与签名，并向链节点查询。可在网址后加 ?rpc=节点地址 以使用您自己的节点，加 ?trust=信任配置地址 以使用您自己的信任配置。",
  },
  "zh-Hant": {
    verdict: {
      VALID: ["真實有效", "本標籤已在區塊鏈上獨立核驗。"],
      INVALID: ["無效", "本標籤未通過核驗，請勿信任。"],
      ERROR: ["無法驗證", "暫時無法完成核驗（例如鏈節點無法連接），這並不表示標籤是偽造的。"],
      PENDING: ["待上鏈", "該紀錄尚未錨定到區塊鏈。"],
      SUPERSEDED: ["已被取代", "本標籤曾真實有效，現已由更新的標籤取代，請以新標籤為準。"],
    },
    checks: {
      format: "證明包格式",
      integrity: "紀錄完整",
      inclusion: "包含於批次",
      attestation_signature: "供應商簽名",
      anchored: "鏈上錨定",
      not_revoked: "未撤銷",
      issuer: "發證方",
      recognition: "互認",
    },
    busy: "正在獨立核驗…",
    node: "鏈節點：",
    ownNode: "使用您指定的鏈節點：",
    trust: "信任設定：",
    ownTrust: "使用您指定的信任設定：",
    chain: "鏈",
    how: "在您的裝置上重新計算紀錄摘要、默克爾根與簽名，並向鏈節點查詢。可在網址後加 ?rpc=節點地址 以使用您自己的節點，加 ?trust=信任設定地址 以使用您自己的信任設定。",
  },
  en: {
    verdict: {
      VALID: ["Genuine", "This label was checked independently against the blockchain."],
      INVALID: ["Not genuine", "This label failed verification: do not rely on it."],
      ERROR: [
        "Could not verify",
        "Verification could not be completed (e.g. the chain node is unreachable); this does not mean the label is forged.",
      ],
      PENDING: ["Pending", "The record is not yet anchored on the blockchain."],
      SUPERSEDED: ["Superseded", "This label was genuine and has been replaced by a newer one: rely on the new label."],
    },
    checks: {
      format: "Bundle format",
      integrity: "Record integrity",
      inclusion: "Included in its batch",
      attestation_signature: "Supplier signature",
      anchored: "Anchored on chain",
      not_revoked: "Not revoked",
      issuer: "Issuer",
      recognition: "Recognition",
    },
    busy: "Verifying independently…",
    node: "Chain node:",
    ownNode: "Your chosen chain node:",
    trust: "Trust profile:",
    ownTrust: "Your chosen trust profile:",
    chain: "chain",
    how: "Recomputed on your device (record, Merkle proof, signatures) and checked with a chain node; add ?rpc=<node URL> to use your own node, ?trust=<profile URL> your own trust profile.",
  },
};
// The language each one is accompanied by (registry/i18n.py COMPANION).
const COMPANION = { "zh-Hans": "en", "zh-Hant": "en", en: "zh-Hans" };
const ICONS = { VALID: "✓", INVALID: "✗", ERROR: "!", PENDING: "…", SUPERSEDED: "↻" };
const MARKS = { VALID: "✓", INVALID: "✗", ERROR: "!", SKIPPED: "–", SUPERSEDED: "↻" };

function el(doc, tag, attrs = {}, ...children) {
  const node = doc.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  for (const child of children) node.append(child); // text is inserted as text, never as HTML
  return node;
}

function list(value) {
  return (value || "").split(/[\s,]+/).filter(Boolean);
}

/** The language the element is shown in: its data-lang, else the nearest lang attribute. */
export function languageOf(element) {
  const tag = element.dataset?.lang || element.closest?.("[lang]")?.getAttribute("lang");
  return normalizeLanguage(tag) ?? DEFAULT_LANGUAGE;
}

/** The verification settings a page element carries, with `?rpc=` and `?trust=` applied. */
export function settingsFrom(element, location = globalThis.location) {
  const params = new URLSearchParams(location?.search || "");
  const rpc = params.get("rpc");
  const trust = params.get("trust");
  return {
    bundleUrl: element.dataset.bundleUrl || "",
    rpcUrl: rpc || element.dataset.rpcUrl || "",
    rpcOverridden: Boolean(rpc),
    trustUrl: trust || element.dataset.trustUrl || "",
    trustOverridden: Boolean(trust),
    chainId: element.dataset.chainId,
    contracts: list(element.dataset.contracts),
    issuers: list(element.dataset.issuers),
    confirmations: Number(element.dataset.confirmations) || 0,
    timeoutMs: Number(element.dataset.timeoutMs) || undefined,
    lang: languageOf(element),
  };
}

// An element with data-companion="none" (the label page, which is in one language throughout)
// shows its texts in its own language only; otherwise each text comes with its companion's.
let monolingual = false;

/** The element's text in its language and its companion's: [[lang, text], [lang, text]]. */
function inBoth(lang, pick) {
  return [lang, COMPANION[lang]].map((l) => [l, pick(l)]);
}

function bilingual(doc, tag, attrs, lang, pick) {
  const [[first, a], [second, b]] = inBoth(lang, pick);
  if (monolingual) return el(doc, tag, attrs, el(doc, "span", { lang: first }, a));
  return el(
    doc,
    tag,
    attrs,
    el(doc, "span", { lang: first }, a),
    " ",
    el(doc, "span", { lang: second, class: "tv-en" }, b),
  );
}

/**
 * The label page's one plain verdict (#verdict, its data-status the registry's word) once the
 * reader's device has checked the bundle: the device's verdict, except that a label the registry
 * revoked stays REVOKED (with its reason; its revocation may not be on chain yet), a superseded
 * one stays SUPERSEDED unless the device finds it not genuine, and an expired one stays EXPIRED.
 */
export function pageVerdict(registryStatus, deviceVerdict) {
  if (registryStatus === "revoked") return "REVOKED";
  if (registryStatus === "superseded") return deviceVerdict === "INVALID" ? "INVALID" : "SUPERSEDED";
  if (registryStatus === "expired" && deviceVerdict === "VALID") return "EXPIRED";
  return deviceVerdict;
}

/** Show "verifying…" in the element. */
export function renderBusy(element, lang = languageOf(element)) {
  const doc = element.ownerDocument;
  monolingual = element.dataset.companion === "none";
  element.dataset.state = "busy";
  element.setAttribute("aria-busy", "true");
  element.replaceChildren(bilingual(doc, "p", { class: "tv-busy" }, lang, (l) => TEXT[l].busy));
}

function checkItem(doc, c, lang) {
  const [[first], [second]] = inBoth(lang, () => null);
  const title = (l) => TEXT[l].checks[c.check] ?? c.check;
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
    el(
      doc,
      "span",
      { class: "tv-name" },
      `${where}${title(first)} `,
      el(doc, "span", { lang: second, class: "tv-en" }, title(second)),
    ),
    el(doc, "span", { class: "tv-reason", lang: first }, resultMessage(c, first)),
    el(doc, "span", { class: "tv-reason tv-en", lang: second }, resultMessage(c, second)),
  );
}

/** Render a verification report (from verifyBundle) into the element, in the reader's language. */
export function renderReport(element, report, settings = {}) {
  const doc = element.ownerDocument;
  const lang = settings.lang ?? languageOf(element);
  const status = TEXT.en.verdict[report.status] ? report.status : "ERROR";
  monolingual = element.dataset.companion === "none";
  const target = element.dataset.verdictTarget && doc.getElementById(element.dataset.verdictTarget);
  if (target) target.dataset.verdict = pageVerdict(target.dataset.status, status);
  element.dataset.state = "done";
  element.dataset.verdict = report.status;
  element.removeAttribute("aria-busy");
  element.classList.add("tv", `tv-${report.status.toLowerCase()}`);

  const [[first, headline], [second, companion]] = inBoth(lang, (l) => TEXT[l].verdict[status][0]);
  const verdict = el(
    doc,
    "div",
    { class: "tv-verdict", role: "status" },
    el(doc, "span", { class: "tv-icon", "aria-hidden": "true" }, ICONS[status]),
    el(doc, "strong", { lang: first }, headline),
    ...(monolingual ? [] : [" ", el(doc, "strong", { lang: second, class: "tv-en" }, companion)]),
  );
  const summary = bilingual(doc, "p", { class: "tv-summary" }, lang, (l) => TEXT[l].verdict[status][1]);
  const parts = [verdict, summary];
  // What `tanji verify` prints: how many recognitions this trust relies on, and how many not.
  if (recognitionsSummary(report.checks)) {
    parts.push(
      bilingual(doc, "p", { class: "tv-recognitions" }, lang, (l) => recognitionsSummary(report.checks, l)),
    );
  }
  parts.push(el(doc, "ul", { class: "tv-checks" }, ...report.checks.map((c) => checkItem(doc, c, lang))));

  const nodeText = settings.rpcUrl ? String(settings.rpcUrl) : "—";
  const [[, nodeFirst], [, nodeSecond]] = inBoth(
    lang,
    (l) => TEXT[l][settings.rpcOverridden ? "ownNode" : "node"],
  );
  parts.push(
    el(
      doc,
      "p",
      { class: "tv-node" },
      el(doc, "span", { lang: first }, nodeFirst),
      " ",
      el(doc, "span", { lang: second, class: "tv-en" }, nodeSecond),
      " ",
      el(doc, "code", { class: "tv-rpc" }, nodeText),
      settings.chainId && !settings.trustUrl ? ` · ${TEXT[lang].chain} ${settings.chainId}` : "",
    ),
  );
  if (settings.trustUrl) {
    const key = settings.trustOverridden ? "ownTrust" : "trust";
    parts.push(
      el(
        doc,
        "p",
        { class: "tv-trust" },
        el(doc, "span", { lang: first }, TEXT[first][key]),
        " ",
        el(doc, "span", { lang: second, class: "tv-en" }, TEXT[second][key]),
        " ",
        el(doc, "code", { class: "tv-trust-url" }, String(settings.trustUrl)),
      ),
    );
  }
  parts.push(bilingual(doc, "p", { class: "tv-how" }, lang, (l) => TEXT[l].how));
  element.replaceChildren(...parts);
  if (monolingual) for (const node of element.querySelectorAll(".tv-en")) node.remove();
}

async function fetchText(url, timeoutMs) {
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
  } catch (exc) {
    throw new Error(exc?.name === "AbortError" ? "timed out" : String(exc?.message || exc));
  } finally {
    clearTimeout(timer);
  }
}

/** The report of a bundle that could not be fetched (ERROR 952, as `tanji verify` reports it). */
function unreadable(source, error) {
  const data = { source, error };
  const result = {
    name: "format",
    check: "format",
    path: "",
    status: "ERROR",
    code: Code.CLI_BUNDLE_UNREADABLE,
    data,
  };
  result.reasons = Object.fromEntries(
    LANGUAGES.map((l) => [l, formatMessage(result.code, l, data, "format")]),
  );
  result.reason = result.reasons.en;
  return { status: "ERROR", checks: [result], record: { type: null, id: null } };
}

/** Verify the bundle named by one element and render the result into it. */
export async function verifyElement(element, location = globalThis.location) {
  const settings = settingsFrom(element, location);
  const timeoutMs = settings.timeoutMs || 10000;
  renderBusy(element, settings.lang);
  let report;
  let trust;
  if (settings.trustUrl) {
    try {
      trust = await fetchText(settings.trustUrl, timeoutMs);
    } catch (exc) {
      report = trustFailure(`${settings.trustUrl}: ${exc.message}`, null, settings.rpcUrl);
    }
  }
  if (report) {
    // the trust profile could not be read
  } else if (!settings.bundleUrl) {
    report = unreadable("this page", "the page names no bundle (data-bundle-url)");
  } else {
    let text = null;
    try {
      text = await fetchText(settings.bundleUrl, timeoutMs);
    } catch (exc) {
      report = unreadable(settings.bundleUrl, exc.message);
    }
    if (text !== null) report = await verifyBundle(text, { ...settings, trust });
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
