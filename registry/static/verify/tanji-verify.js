// Tanji in-browser verifier: checks a tanji-bundle/1 on the reader's own device.
//
// It recomputes the record digest, the leaf and the Merkle root from the bundle, then asks a chain
// node (JSON-RPC over fetch) whether that root is anchored on a *trusted* contract and still active,
// so that a reader need not take the registry server's word for it. The protocol's normative
// definition is the Python package `verifier` (record.py, merkle.py, canonical.py, checks.py): check
// names, result codes and verdict rules here mirror it, and tests/registry/js/ holds this file to
// the shared test vectors.
//
// Keccak-256 and ABI coding come from the vendored ethers v6 UMD build (../vendor/), loaded on
// demand unless the page already loaded it as a classic script.

// -- result codes (verifier/protocol/codes.py; stable once published) ---------------------------------------
export const Code = Object.freeze({
  OK: 0,
  FORMAT_NOT_JSON: 100,
  FORMAT_TOO_LARGE: 101,
  FORMAT_NOT_OBJECT: 102,
  FORMAT_UNKNOWN_VERSION: 103,
  FORMAT_MISSING_FIELD: 104,
  FORMAT_WRONG_TYPE: 105,
  FORMAT_BAD_HEX: 106,
  FORMAT_WRONG_LENGTH: 107,
  FORMAT_PROOF_TOO_LONG: 108,
  FORMAT_TOO_DEEP: 109,
  FORMAT_SALT_AND_DISCLOSURE: 110,
  FORMAT_DISCLOSED_WITHOUT_SALT: 111,
  FORMAT_DISCLOSED_AND_HIDDEN: 112,
  FORMAT_SALT_WITHOUT_FIELD: 113,
  FORMAT_NOT_CANONICAL: 114,
  FORMAT_PENDING_INCONSISTENT: 115,
  FORMAT_DUPLICATE_KEY: 116,
  FORMAT_BAD_VALUE: 117,
  FORMAT_TOO_MANY: 118,
  FORMAT_WRONG_RECORD_TYPE: 120,
  FORMAT_NUMBER_OUT_OF_RANGE: 121,
  INTEGRITY_WRONG_ENCODING: 200,
  INTEGRITY_LEAF_MISMATCH: 201,
  INTEGRITY_DIGEST_MISMATCH: 202,
  INCLUSION_ROOT_MISMATCH: 300,
  ANCHORED_UNTRUSTED_CHAIN: 400,
  ANCHORED_CHAIN_ID_MISMATCH: 401,
  ANCHORED_UNTRUSTED_CONTRACT: 402,
  ANCHORED_ROOT_NOT_ANCHORED: 403,
  ANCHORED_NOT_INCLUDED: 404,
  ANCHORED_TX_NOT_FOUND: 405,
  ANCHORED_NO_EVENT: 406,
  ANCHORED_BLOCK_MISMATCH: 407,
  ANCHORED_NO_RPC_URL: 408,
  REVOKED_ROOT: 500,
  REVOKED_LEAF: 501,
  ISSUER_UNTRUSTED: 600,
  ISSUER_TX_NOT_FOUND: 601,
  ISSUER_NONE_CONFIGURED: 690,
  RECOGNITION_DUPLICATE: 892,
  SKIPPED_PENDING: 900,
  SKIPPED_FORMAT_INVALID: 901,
  SKIPPED_ANCHOR_UNTRUSTED: 902,
  BUNDLE_UNREADABLE: 952,
  CHAIN_UNAVAILABLE: 990,
  CHAIN_BAD_ANSWER: 991,
  INTERNAL_ERROR: 999,
});

export const BUNDLE_FORMAT = "tanji-bundle/1";
export const LEAF_ENCODING = Object.freeze(["string", "string", "bytes32"]);
export const CHECK_NAMES = Object.freeze([
  "format",
  "integrity",
  "inclusion",
  "anchored",
  "not_revoked",
  "issuer",
]);
// Bounds from verifier/bundle.py and verifier/merkle.py: they cap what a hostile bundle can cost.
const MAX_BUNDLE_BYTES = 2 * 1024 * 1024;
const MAX_DEPTH = 8;
const MAX_NESTED = 256;
const MAX_LEAF_ARITY = 16;
const MAX_PROOF_LENGTH = 64;
const MAX_JSON_DEPTH = 96;
// verifier/bundle.py NESTED_RECORD_TYPES: each nested list holds records of one type (code 120).
const NESTED_RECORD_TYPES = Object.freeze({ attestations: "attestation", recognitions: "recognition" });
const NESTED_KEYS = Object.keys(NESTED_RECORD_TYPES);
const DEFAULT_TIMEOUT_MS = 10000;

// The one contract call a verifier needs (ITanjiAnchorRegistry.check); the tests hold its selector
// and output types to anchoring/artifacts/TanjiAnchorRegistry.json.
export const CHECK_SIGNATURE =
  "function check(bytes32 root, bytes32 leaf, bytes32[] proof) view returns " +
  "(tuple(bool anchored, bool included, bool active, uint64 blockNumber, uint64 timestamp, " +
  "uint16 rootRevokedReason, uint16 leafRevokedReason) s)";
export const ROOT_ANCHORED_EVENT = "RootAnchored(bytes32,bytes32,uint64,uint64)";

// verifier/revocation.py
const REVOCATION_REASONS = {
  1: ["superseded by a newer record", "已被新记录取代"],
  2: ["withdrawn by the issuer", "发证方已撤回"],
  3: ["data error", "数据错误"],
  4: ["certificate suspended", "证书已暂停"],
  5: ["fraud or misstatement", "欺诈或虚假陈述"],
  6: ["key compromise", "密钥泄露"],
};

// -- ethers (vendored UMD build) ------------------------------------------------------------------
async function loadEthers() {
  if (globalThis.ethers?.keccak256) return globalThis.ethers;
  // A browser runs the UMD file for its side effect (globalThis.ethers); Node reads it as CommonJS.
  const mod = await import(new URL("../vendor/ethers.umd.min.js", import.meta.url).href);
  const ethers = globalThis.ethers?.keccak256 ? globalThis.ethers : (mod.default ?? mod);
  if (!ethers?.keccak256) throw new Error("the vendored ethers build did not load");
  return ethers;
}

const ethers = await loadEthers();
const abiCoder = ethers.AbiCoder.defaultAbiCoder();
const checkInterface = new ethers.Interface([CHECK_SIGNATURE]);
export const ROOT_ANCHORED_TOPIC = ethers.id(ROOT_ANCHORED_EVENT);

// -- errors ---------------------------------------------------------------------------------------
/** A bundle that is not a well-formed tanji-bundle/1 (verifier.errors.BundleFormatError). */
export class BundleFormatError extends Error {
  constructor(message, { field = null, code = Code.FORMAT_BAD_VALUE } = {}) {
    super(message);
    this.name = "BundleFormatError";
    this.field = field;
    this.code = code;
  }
}

/** The node did not answer (refused, timed out, HTTP error): ERROR, never INVALID. */
export class ChainUnavailableError extends Error {
  constructor(message) {
    super(message);
    this.name = "ChainUnavailableError";
  }
}

/** The node answered, but not with a usable JSON-RPC result for the call made. */
export class ChainResponseError extends ChainUnavailableError {
  constructor(message) {
    super(message);
    this.name = "ChainResponseError";
  }
}

class NoRpcUrlError extends Error {}

// -- RFC 8785 (JCS) -------------------------------------------------------------------------------
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
// verifier/canonical.py: a JSON number is read as its IEEE 754 double (JSON.parse does exactly that)
// and accepted only when finite and below 2^53 in magnitude (I-JSON, RFC 7493), however it is spelt.
const NUMBER_LIMIT = 2 ** 53;

function numberInRange(value) {
  return Number.isFinite(value) && Math.abs(value) < NUMBER_LIMIT;
}

/**
 * Refuse the first number outside the protocol's range in a decoded JSON value (verifier/canonical.py
 * check_numbers): members in RFC 8785 order, arrays in order, so both verifiers name the same field.
 */
export function checkNumbers(value, path = "") {
  if (typeof value === "number") {
    if (!numberInRange(value)) {
      throw new BundleFormatError(
        `${path || "the value"} is ${value}: a JSON number must be finite and below 2^53 in ` +
          "magnitude (I-JSON, RFC 7493)",
        { field: path || null, code: Code.FORMAT_NUMBER_OUT_OF_RANGE },
      );
    }
  } else if (Array.isArray(value)) {
    value.forEach((item, i) => checkNumbers(item, `${path}[${i}]`));
  } else if (value !== null && typeof value === "object") {
    for (const name of Object.keys(value).sort()) checkNumbers(value[name], path ? `${path}.${name}` : name);
  }
}

/**
 * The RFC 8785 canonical JSON text of a value.
 *
 * ECMAScript's Number.prototype.toString *is* JCS's number format and JSON.stringify its string
 * escaping, so the work left is key order (UTF-16 code units: the default sort) and refusing what
 * JSON cannot carry canonically. Lone surrogates are refused as the Python side refuses them, and
 * numbers outside the protocol's range (checkNumbers, naming the path) as well.
 */
export function canonicalize(value) {
  checkNumbers(value);
  return jcs(value);
}

function jcs(value) {
  if (value === null || typeof value === "boolean") return JSON.stringify(value);
  if (typeof value === "number") return JSON.stringify(value); // -0 -> "0", 1e-7 -> "1e-7"
  if (typeof value === "string") {
    if (LONE_SURROGATE.test(value)) {
      throw new BundleFormatError("string contains a lone UTF-16 surrogate", {
        code: Code.FORMAT_NOT_CANONICAL,
      });
    }
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return "[" + value.map(jcs).join(",") + "]";
  if (typeof value === "object") {
    const keys = Object.keys(value).sort();
    return "{" + keys.map((k) => jcs(k) + ":" + jcs(value[k])).join(",") + "}";
  }
  throw new BundleFormatError(`a ${typeof value} is not a JSON value`, { code: Code.FORMAT_NOT_CANONICAL });
}

// -- record -> leaf value (verifier/record.py) ----------------------------------------------------
/** Member names in RFC 8785 order (UTF-16 code units). */
export function jcsOrder(names) {
  return [...names].sort();
}

/** keccak256(masterSalt || utf8(name)): the salt of one field. */
export function fieldSalt(masterSalt, name) {
  return ethers.keccak256(ethers.concat([hex32(masterSalt, "salt"), ethers.toUtf8Bytes(name)]));
}

/** keccak256(salt || JCS([name, value])): the commitment to one field. */
export function fieldCommitment(name, value, salt) {
  const jcs = canonicalize([name, value]);
  return ethers.keccak256(ethers.concat([hex32(salt, `salts.${name}`), ethers.toUtf8Bytes(jcs)]));
}

/** keccak256 of every field's commitment, disclosed or hidden, in JCS name order. */
export function commitmentsDigest(commitments) {
  for (const name of ["type", "id"]) {
    if (!Object.hasOwn(commitments, name)) {
      throw new BundleFormatError(`record has no '${name}' field`, {
        field: `record.${name}`,
        code: Code.FORMAT_MISSING_FIELD,
      });
    }
  }
  return ethers.keccak256(ethers.concat(jcsOrder(Object.keys(commitments)).map((n) => commitments[n])));
}

/** Commitments of every field of a fully disclosed record under its master salt. */
export function recordCommitments(record, masterSalt) {
  const out = Object.create(null); // a field may be called "__proto__"
  for (const [name, value] of Object.entries(record))
    out[name] = fieldCommitment(name, value, fieldSalt(masterSalt, name));
  return out;
}

/** The StandardMerkleTree leaf value [type, id, 0xdigest] of a record. */
export function leafValue(record, digest) {
  return [record.type, record.id, digest.toLowerCase()];
}

/** The leaf value of a fully disclosed record: what the registry put in its tree. */
export function recordLeafValue(record, masterSalt) {
  return leafValue(record, commitmentsDigest(recordCommitments(record, masterSalt)));
}

// -- OpenZeppelin StandardMerkleTree (verifier/merkle.py) -----------------------------------------
/** keccak256(keccak256(abi.encode(encoding, values))), as @openzeppelin/merkle-tree hashes leaves. */
export function leafHash(encoding, values) {
  return ethers.keccak256(ethers.keccak256(abiCoder.encode([...encoding], [...values])));
}

/** OpenZeppelin Hashes.commutativeKeccak256: hash the pair in sorted byte order. */
export function hashPair(a, b) {
  const [x, y] = [a.toLowerCase(), b.toLowerCase()];
  return ethers.keccak256(ethers.concat(x < y ? [x, y] : [y, x]));
}

/** Fold a proof from the leaf up to the root it implies. */
export function processProof(leaf, proof) {
  if (proof.length > MAX_PROOF_LENGTH) {
    throw new BundleFormatError(`proof longer than ${MAX_PROOF_LENGTH} hashes`, {
      field: "proof",
      code: Code.FORMAT_PROOF_TOO_LONG,
    });
  }
  return proof.reduce((node, sibling) => hashPair(node, hex32(sibling, "proof")), leaf.toLowerCase());
}

// -- bundle parsing (verifier/bundle.py, verifier/wire.py) ---------------------------------------
const HEX = /^0x[0-9a-fA-F]*$/;

function hexBytes(value, field, length) {
  if (typeof value !== "string")
    throw new BundleFormatError(`${field} must be a 0x-prefixed hex string`, {
      field,
      code: Code.FORMAT_WRONG_TYPE,
    });
  if (!HEX.test(value) || value.length % 2)
    throw new BundleFormatError(`${field} is not 0x-prefixed hex of whole bytes`, {
      field,
      code: Code.FORMAT_BAD_HEX,
    });
  const size = (value.length - 2) / 2;
  if (length !== undefined && size !== length) {
    throw new BundleFormatError(`${field} must be ${length} bytes, not ${size}`, {
      field,
      code: Code.FORMAT_WRONG_LENGTH,
    });
  }
  return value.toLowerCase();
}

function hex32(value, field) {
  return hexBytes(value, field, 32);
}

const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);

function jsonObject(value, field) {
  if (!isObject(value)) {
    throw new BundleFormatError(`${field || "bundle"} must be a JSON object`, {
      field: field || null,
      code: field ? Code.FORMAT_WRONG_TYPE : Code.FORMAT_NOT_OBJECT,
    });
  }
  return value;
}

function jsonList(value, field) {
  if (!Array.isArray(value))
    throw new BundleFormatError(`${field} must be a JSON array`, { field, code: Code.FORMAT_WRONG_TYPE });
  return value;
}

function member(obj, name, path) {
  if (!Object.hasOwn(obj, name))
    throw new BundleFormatError(`${path + name} is missing`, {
      field: path + name,
      code: Code.FORMAT_MISSING_FIELD,
    });
  return obj[name];
}

function text(value, field) {
  if (typeof value !== "string")
    throw new BundleFormatError(`${field} must be a string`, { field, code: Code.FORMAT_WRONG_TYPE });
  if (!value)
    throw new BundleFormatError(`${field} must not be empty`, { field, code: Code.FORMAT_BAD_VALUE });
  return value;
}

function uint(value, field, minimum = 0) {
  if (!Number.isInteger(value))
    throw new BundleFormatError(`${field} must be an integer`, { field, code: Code.FORMAT_WRONG_TYPE });
  if (value < minimum || !Number.isSafeInteger(value)) {
    throw new BundleFormatError(`${field} must be an integer from ${minimum} up`, {
      field,
      code: Code.FORMAT_BAD_VALUE,
    });
  }
  return value;
}

function boundedList(obj, name, path, limit) {
  const items = jsonList(member(obj, name, path), path + name);
  if (items.length > limit) {
    const code = name === "proof" ? Code.FORMAT_PROOF_TOO_LONG : Code.FORMAT_TOO_MANY;
    throw new BundleFormatError(`${path + name} has more than ${limit} items`, { field: path + name, code });
  }
  return items;
}

/**
 * Refuse nesting deeper than MAX_JSON_DEPTH and duplicate object keys, before JSON.parse (which
 * silently keeps the last duplicate): two parsers that keep different copies of a duplicated key
 * would see two different bundles. Only strings and structural characters matter here; anything
 * else that is not JSON is left for JSON.parse to refuse.
 */
function scanStructure(textValue) {
  const stack = []; // {keys: Set | null (array), expectKey: boolean}
  for (const token of textValue.matchAll(/"(?:[^"\\]|\\.)*"|[[\]{}:,]/g)) {
    const t = token[0];
    const top = stack[stack.length - 1];
    if (t === "{" || t === "[") {
      if (stack.length >= MAX_JSON_DEPTH)
        throw new BundleFormatError(`bundle JSON is nested more than ${MAX_JSON_DEPTH} deep`, {
          code: Code.FORMAT_TOO_DEEP,
        });
      stack.push({ keys: t === "{" ? new Set() : null, expectKey: t === "{" });
    } else if (t === "}" || t === "]") {
      stack.pop();
    } else if (t === ",") {
      if (top?.keys) top.expectKey = true;
    } else if (t === ":") {
      if (top) top.expectKey = false;
    } else if (top?.keys && top.expectKey) {
      let key;
      try {
        key = JSON.parse(t);
      } catch {
        return; // a malformed string: JSON.parse will say so
      }
      if (top.keys.has(key))
        throw new BundleFormatError(`duplicate JSON key ${JSON.stringify(key)}`, {
          field: key,
          code: Code.FORMAT_DUPLICATE_KEY,
        });
      top.keys.add(key);
      top.expectKey = false;
    }
  }
}

/** Decode bundle text as JSON, bounded in size and nesting before JSON.parse sees it. */
export function loadJson(textValue) {
  const size = new TextEncoder().encode(textValue).length;
  if (size > MAX_BUNDLE_BYTES) {
    throw new BundleFormatError(`bundle is ${size} bytes, more than the limit of ${MAX_BUNDLE_BYTES}`, {
      code: Code.FORMAT_TOO_LARGE,
    });
  }
  scanStructure(textValue);
  try {
    return JSON.parse(textValue);
  } catch (exc) {
    throw new BundleFormatError(`bundle is not JSON: ${exc.message}`, { code: Code.FORMAT_NOT_JSON });
  }
}

/**
 * Parse a decoded tanji-bundle/1 (and its nested bundles) into the shape the checks read, with the
 * leaf hash computed. Throws BundleFormatError with a stable code and the offending field.
 */
export function parseBundle(obj, path = "", depth = 1, recordType = null) {
  if (depth === 1) checkNumbers(obj); // every number in the document, nested bundles included
  if (depth > MAX_DEPTH)
    throw new BundleFormatError(`bundles nested more than ${MAX_DEPTH} deep`, {
      field: path.replace(/\.$/, "") || null,
      code: Code.FORMAT_TOO_DEEP,
    });
  jsonObject(obj, path.replace(/\.$/, ""));
  const version = member(obj, "format", path);
  if (version !== BUNDLE_FORMAT) {
    throw new BundleFormatError(
      `unknown bundle format ${JSON.stringify(version)} (this verifier reads ${BUNDLE_FORMAT})`,
      { field: path + "format", code: Code.FORMAT_UNKNOWN_VERSION },
    );
  }
  const record = jsonObject(member(obj, "record", path), path + "record");
  for (const name of ["type", "id"]) text(member(record, name, path + "record."), `${path}record.${name}`);
  if (recordType !== null && record.type !== recordType) {
    throw new BundleFormatError(
      `${path.replace(/\.$/, "")} holds a ${JSON.stringify(record.type)} record; only ` +
        `${JSON.stringify(recordType)} records may be nested there`,
      { field: path + "record.type", code: Code.FORMAT_WRONG_RECORD_TYPE },
    );
  }
  try {
    canonicalize(record);
  } catch (exc) {
    throw new BundleFormatError(exc.message, { field: path + "record", code: Code.FORMAT_NOT_CANONICAL });
  }
  const { salt, disclosure } = parseSalts(obj, record, path);
  const encoding = boundedList(obj, "leafEncoding", path, MAX_LEAF_ARITY).map((t, i) =>
    text(t, `${path}leafEncoding[${i}]`),
  );
  const value = jsonList(member(obj, "leafValue", path), path + "leafValue");
  if (value.length !== encoding.length || !encoding.length) {
    throw new BundleFormatError("leafValue must have one value per leafEncoding type", {
      field: path + "leafValue",
      code: Code.FORMAT_WRONG_LENGTH,
    });
  }
  value.forEach((item, i) => {
    if (typeof item !== "string" && !Number.isInteger(item)) {
      throw new BundleFormatError("leafValue items must be strings or integers", {
        field: `${path}leafValue[${i}]`,
        code: Code.FORMAT_WRONG_TYPE,
      });
    }
  });
  let leaf;
  try {
    leaf = leafHash(encoding, value);
  } catch (exc) {
    throw new BundleFormatError(
      `leaf value does not match its encoding: ${exc.shortMessage || exc.message}`,
      { field: path + "leafValue", code: Code.FORMAT_BAD_VALUE },
    );
  }
  const status = Object.hasOwn(obj, "status") ? obj.status : "anchored";
  if (status !== "anchored" && status !== "pending") {
    throw new BundleFormatError("status must be 'anchored' or 'pending'", {
      field: path + "status",
      code: Code.FORMAT_BAD_VALUE,
    });
  }
  let proof = [];
  let root = null;
  let anchor = null;
  if (status === "pending") {
    for (const name of ["proof", "root", "anchor"]) {
      if (obj[name] !== undefined && obj[name] !== null) {
        throw new BundleFormatError(`a pending bundle has no ${name}`, {
          field: path + name,
          code: Code.FORMAT_PENDING_INCONSISTENT,
        });
      }
    }
  } else {
    proof = boundedList(obj, "proof", path, MAX_PROOF_LENGTH).map((p, i) => hex32(p, `${path}proof[${i}]`));
    root = hex32(member(obj, "root", path), path + "root");
    anchor = parseAnchor(member(obj, "anchor", path), path + "anchor.");
  }
  const nested = {};
  for (const key of NESTED_KEYS) {
    const items = Object.hasOwn(obj, key) ? boundedList(obj, key, path, MAX_NESTED) : [];
    nested[key] = items.map((item, i) =>
      parseBundle(item, `${path}${key}[${i}].`, depth + 1, NESTED_RECORD_TYPES[key]),
    );
  }
  return {
    record,
    salt,
    disclosure,
    leafEncoding: encoding,
    leafValue: value,
    leaf,
    proof,
    root,
    anchor,
    status,
    ...nested,
  };
}

function parseSalts(obj, record, path) {
  const hasSalt = obj.salt !== undefined && obj.salt !== null;
  const hasDisclosure = obj.disclosure !== undefined && obj.disclosure !== null;
  if (hasSalt && hasDisclosure) {
    throw new BundleFormatError("a bundle carries either the master salt or a disclosure, never both", {
      field: path + "disclosure",
      code: Code.FORMAT_SALT_AND_DISCLOSURE,
    });
  }
  if (!hasDisclosure) return { salt: hex32(member(obj, "salt", path), path + "salt"), disclosure: null };
  const where = path + "disclosure";
  const d = jsonObject(obj.disclosure, where);
  const saltsObj = jsonObject(member(d, "salts", where + "."), where + ".salts");
  const hiddenObj = jsonObject(d.hidden ?? {}, where + ".hidden");
  const salts = Object.fromEntries(
    Object.entries(saltsObj).map(([k, v]) => [k, hex32(v, `${where}.salts.${k}`)]),
  );
  const hidden = Object.fromEntries(
    Object.entries(hiddenObj).map(([k, v]) => [k, hex32(v, `${where}.hidden.${k}`)]),
  );
  for (const name of Object.keys(record)) {
    if (Object.hasOwn(hidden, name))
      throw new BundleFormatError(`field '${name}' is both disclosed and hidden`, {
        field: `${where}.hidden.${name}`,
        code: Code.FORMAT_DISCLOSED_AND_HIDDEN,
      });
    if (!Object.hasOwn(salts, name))
      throw new BundleFormatError(`disclosed field '${name}' has no salt`, {
        field: `${where}.salts.${name}`,
        code: Code.FORMAT_DISCLOSED_WITHOUT_SALT,
      });
  }
  for (const name of Object.keys(salts)) {
    if (!Object.hasOwn(record, name))
      throw new BundleFormatError(`salt given for '${name}', which the record does not disclose`, {
        field: `${where}.salts.${name}`,
        code: Code.FORMAT_SALT_WITHOUT_FIELD,
      });
  }
  return { salt: null, disclosure: { salts, hidden } };
}

function parseAnchor(value, path) {
  const obj = jsonObject(value, path.replace(/\.$/, ""));
  const timestamp = obj.timestamp ?? null;
  return {
    chainId: uint(member(obj, "chainId", path), path + "chainId", 1),
    contract: hexBytes(member(obj, "contract", path), path + "contract", 20),
    txHash: hex32(member(obj, "txHash", path), path + "txHash"),
    blockNumber: uint(member(obj, "blockNumber", path), path + "blockNumber", 1),
    timestamp: timestamp === null ? null : uint(timestamp, path + "timestamp"),
  };
}

// -- chain access over JSON-RPC (verifier/chain.py) ------------------------------------------------
/**
 * A minimal JSON-RPC client over fetch. A refused connection, a timeout or an HTTP error raises
 * ChainUnavailableError; a malformed answer or a JSON-RPC error raises ChainResponseError. Once the
 * node is found unreachable, later calls fail at once: a dead node costs one timeout, not one per
 * check.
 */
export class RpcClient {
  constructor(url, { timeoutMs = DEFAULT_TIMEOUT_MS, fetchImpl } = {}) {
    this.url = url;
    this.timeoutMs = timeoutMs;
    // Called unbound: a browser's fetch throws "Illegal invocation" when its `this` is not window.
    this.fetch = fetchImpl ?? ((...args) => globalThis.fetch(...args));
    this.down = null;
    this.nextId = 1;
    this.memo = new Map();
  }

  /** One call, its answer (or failure) remembered under `key` for the rest of the verification. */
  once(key, fn) {
    if (!this.memo.has(key)) this.memo.set(key, fn());
    return this.memo.get(key);
  }

  async request(method, params) {
    if (this.down) throw this.down;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.timeoutMs);
    let response;
    let body;
    try {
      response = await this.fetch(this.url, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: this.nextId++, method, params }),
        signal: controller.signal,
        cache: "no-store",
        credentials: "omit",
      });
      if (!response.ok) throw new ChainUnavailableError(`${this.url}: HTTP ${response.status}`);
      body = await response.text();
    } catch (exc) {
      const err =
        exc instanceof ChainUnavailableError
          ? exc
          : new ChainUnavailableError(
              `${this.url}: node unreachable (${controller.signal.aborted ? `no answer in ${this.timeoutMs} ms` : exc.message})`,
            );
      this.down = err;
      throw err;
    } finally {
      clearTimeout(timer);
    }
    let answer;
    try {
      answer = JSON.parse(body);
    } catch {
      throw new ChainResponseError(`${this.url}: ${method} answered with something that is not JSON`);
    }
    if (!isObject(answer))
      throw new ChainResponseError(`${this.url}: ${method} answered with something that is not JSON-RPC`);
    if (answer.error)
      throw new ChainResponseError(
        `${this.url}: ${method} failed: ${answer.error.message ?? JSON.stringify(answer.error)}`,
      );
    if (!Object.hasOwn(answer, "result"))
      throw new ChainResponseError(`${this.url}: ${method} answered without a result`);
    return answer.result;
  }

  /** The node's chain id (eth_chainId). */
  chainId() {
    return this.once("chainId", async () =>
      quantity(await this.request("eth_chainId", []), "eth_chainId", this.url),
    );
  }

  /** The contract's check(root, leaf, proof) at the latest block. */
  check(contract, root, leaf, proof) {
    return this.once(`check:${contract}:${root}:${leaf}:${proof.join(",")}`, async () => {
      const data = checkInterface.encodeFunctionData("check", [root, leaf, proof]);
      const raw = await this.request("eth_call", [{ to: contract, data }, "latest"]);
      let s;
      try {
        [s] = checkInterface.decodeFunctionResult("check", raw);
      } catch (exc) {
        throw new ChainResponseError(
          `${this.url}: check() answered ${String(raw).slice(0, 80)} (is ${contract} an anchor contract?)`,
        );
      }
      return {
        anchored: Boolean(s.anchored),
        included: Boolean(s.included),
        active: Boolean(s.active),
        blockNumber: Number(s.blockNumber),
        timestamp: Number(s.timestamp),
        rootRevokedReason: Number(s.rootRevokedReason),
        leafRevokedReason: Number(s.leafRevokedReason),
      };
    });
  }

  /** The mined anchoring transaction's receipt, or null when the node does not know it. */
  transaction(txHash) {
    return this.once(`tx:${txHash}`, async () => {
      const receipt = await this.request("eth_getTransactionReceipt", [txHash]);
      if (receipt === null) return null;
      try {
        if (receipt.blockNumber === null) return null; // still in the mempool
        return {
          sender: String(receipt.from).toLowerCase(),
          blockNumber: quantity(receipt.blockNumber, "blockNumber", this.url),
          succeeded: quantity(receipt.status, "status", this.url) === 1,
          logs: receipt.logs.map((log) => ({
            address: String(log.address).toLowerCase(),
            topics: log.topics.map((t) => String(t).toLowerCase()),
          })),
        };
      } catch (exc) {
        throw new ChainResponseError(`${this.url}: malformed transaction receipt`);
      }
    });
  }
}

function quantity(value, what, url) {
  if (typeof value !== "string" || !/^0x[0-9a-fA-F]+$/.test(value))
    throw new ChainResponseError(`${url}: ${what} answered ${JSON.stringify(value)}`);
  return Number(BigInt(value));
}

// -- checks (verifier/checks.py) ------------------------------------------------------------------
function result(name, path, status, code, reasonEn, reasonZh, data = {}) {
  return {
    name: path ? `${path}.${name}` : name,
    check: name,
    path,
    status,
    code,
    reason_en: reasonEn,
    reason_zh: reasonZh,
    data,
  };
}

function skipUnparsedOrPending(name, t) {
  if (!t.bundle)
    return result(
      name,
      t.path,
      "SKIPPED",
      Code.SKIPPED_FORMAT_INVALID,
      "not checked: the bundle is malformed",
      "未检查：证明包格式错误",
    );
  if (t.bundle.status === "pending")
    return result(
      name,
      t.path,
      "SKIPPED",
      Code.SKIPPED_PENDING,
      "not checked: the record is pending, not yet anchored",
      "未检查：记录尚待上链",
    );
  return null;
}

async function anchorTrusted(t) {
  const ev = t.evidence;
  return ev.chainTrusted && ev.contractTrusted && (await ev.client().chainId()) === ev.anchor.chainId;
}

async function skipUntrustedAnchor(name, t) {
  const skipped = skipUnparsedOrPending(name, t);
  if (skipped) return skipped;
  // Asking an untrusted contract whether it revoked something would mean nothing.
  if (!(await anchorTrusted(t))) {
    return result(
      name,
      t.path,
      "SKIPPED",
      Code.SKIPPED_ANCHOR_UNTRUSTED,
      "not checked: the anchor is not on a trusted chain and contract",
      "未检查：锚定不在受信任的链和合约上",
    );
  }
  return null;
}

const CHECKS = [
  {
    name: "format",
    skip: () => null,
    run(t) {
      if (t.bundle)
        return result(
          "format",
          t.path,
          "VALID",
          Code.OK,
          "the bundle is a well-formed tanji-bundle/1",
          "证明包格式正确",
        );
      const e = t.formatError;
      if (e instanceof BundleFormatError) {
        return result(
          "format",
          t.path,
          "INVALID",
          e.code,
          `malformed bundle: ${e.message}`,
          `证明包格式错误：${e.field || "整体"}`,
          { field: e.field },
        );
      }
      throw e;
    },
  },
  {
    name: "integrity",
    skip: (t) => (t.bundle ? null : skipUnparsedOrPending("integrity", t)),
    run(t) {
      const b = t.bundle;
      const r = (...a) => result("integrity", t.path, ...a);
      if (
        b.leafEncoding.length !== LEAF_ENCODING.length ||
        b.leafEncoding.some((x, i) => x !== LEAF_ENCODING[i])
      ) {
        return r(
          "INVALID",
          Code.INTEGRITY_WRONG_ENCODING,
          `leafEncoding is ${JSON.stringify(b.leafEncoding)}, not ${JSON.stringify(LEAF_ENCODING)}`,
          `叶编码应为 ${JSON.stringify(LEAF_ENCODING)}`,
        );
      }
      let commitments;
      let hidden = 0;
      if (b.salt !== null) {
        commitments = recordCommitments(b.record, b.salt);
      } else {
        commitments = Object.create(null);
        for (const [name, value] of Object.entries(b.record))
          commitments[name] = fieldCommitment(name, value, b.disclosure.salts[name]);
        Object.assign(commitments, b.disclosure.hidden);
        hidden = Object.keys(b.disclosure.hidden).length;
      }
      const expected = leafValue(b.record, commitmentsDigest(commitments));
      const given = b.leafValue;
      if (given[0] !== expected[0] || given[1] !== expected[1]) {
        return r(
          "INVALID",
          Code.INTEGRITY_LEAF_MISMATCH,
          `leafValue names ${JSON.stringify(given.slice(0, 2))} but the record is ${JSON.stringify(expected.slice(0, 2))}`,
          "叶值中的类型或编号与记录不符",
        );
      }
      if (typeof given[2] !== "string" || given[2].toLowerCase() !== expected[2]) {
        return r(
          "INVALID",
          Code.INTEGRITY_DIGEST_MISMATCH,
          "the record does not produce the leaf value: a field value, a salt or a hidden commitment was changed",
          "记录与叶值不符：字段值、盐值或隐藏字段的承诺已被改动",
          { digest: expected[2], leafDigest: given[2] },
        );
      }
      const n = Object.keys(commitments).length;
      return r(
        "VALID",
        Code.OK,
        `the record (${n} fields, ${hidden} hidden) produces the leaf value`,
        `记录与叶值一致（${n} 个字段，${hidden} 个隐藏）`,
        { digest: expected[2] },
      );
    },
  },
  {
    name: "inclusion",
    skip: (t) => skipUnparsedOrPending("inclusion", t),
    run(t) {
      const b = t.bundle;
      const computed = processProof(b.leaf, b.proof);
      if (computed !== b.root) {
        return result(
          "inclusion",
          t.path,
          "INVALID",
          Code.INCLUSION_ROOT_MISMATCH,
          "the proof does not lead from the leaf to the root",
          "默克尔证明无法从叶推导出根",
          { leaf: b.leaf, computedRoot: computed, root: b.root },
        );
      }
      return result(
        "inclusion",
        t.path,
        "VALID",
        Code.OK,
        `the proof (${b.proof.length} hashes) leads from the leaf to the root`,
        `默克尔证明成立（${b.proof.length} 个哈希）`,
        { leaf: b.leaf, root: b.root },
      );
    },
  },
  {
    name: "anchored",
    skip: (t) => skipUnparsedOrPending("anchored", t),
    async run(t) {
      const r = (...a) => result("anchored", t.path, ...a);
      const ev = t.evidence;
      const a = ev.anchor;
      if (!ev.chainTrusted)
        return r(
          "INVALID",
          Code.ANCHORED_UNTRUSTED_CHAIN,
          `chain ${a.chainId} is not the trusted chain`,
          `链 ${a.chainId} 不是受信任的链`,
          { chainId: a.chainId },
        );
      if (!ev.contractTrusted) {
        return r(
          "INVALID",
          Code.ANCHORED_UNTRUSTED_CONTRACT,
          `contract ${a.contract} is not a trusted anchor contract on chain ${a.chainId}`,
          `合约 ${a.contract} 不是链 ${a.chainId} 上受信任的锚定合约`,
          { contract: a.contract },
        );
      }
      const client = ev.client();
      const nodeChain = await client.chainId();
      if (nodeChain !== a.chainId) {
        return r(
          "INVALID",
          Code.ANCHORED_CHAIN_ID_MISMATCH,
          `the node serves chain ${nodeChain}, the bundle claims chain ${a.chainId}`,
          `节点所在链为 ${nodeChain}，证明包声称为链 ${a.chainId}`,
          { nodeChainId: nodeChain, chainId: a.chainId },
        );
      }
      const s = await client.check(a.contract, ev.root, t.bundle.leaf, t.bundle.proof);
      if (!s.anchored)
        return r(
          "INVALID",
          Code.ANCHORED_ROOT_NOT_ANCHORED,
          "the root is not anchored on the trusted contract",
          "该默克尔根未在受信任合约上锚定",
          { root: ev.root },
        );
      if (!s.included)
        return r(
          "INVALID",
          Code.ANCHORED_NOT_INCLUDED,
          "the contract does not accept the proof of the leaf under the root",
          "合约不认可该叶的默克尔证明",
        );
      const tx = await client.transaction(a.txHash);
      if (!tx || !tx.succeeded) {
        return r(
          "INVALID",
          Code.ANCHORED_TX_NOT_FOUND,
          `anchoring transaction ${a.txHash} is not mined (or failed) on this chain`,
          "链上找不到该锚定交易（或交易失败）",
          { txHash: a.txHash },
        );
      }
      const event = tx.logs.find(
        (l) =>
          l.address === a.contract &&
          l.topics.length === 3 &&
          l.topics[0] === ROOT_ANCHORED_TOPIC &&
          l.topics[1] === ev.root,
      );
      if (!event) {
        return r(
          "INVALID",
          Code.ANCHORED_NO_EVENT,
          "the transaction did not emit RootAnchored for this root from the trusted contract",
          "该交易没有由受信任合约发出此根的 RootAnchored 事件",
          { txHash: a.txHash },
        );
      }
      if (
        tx.blockNumber !== s.blockNumber ||
        a.blockNumber !== s.blockNumber ||
        (a.timestamp !== null && a.timestamp !== s.timestamp)
      ) {
        return r(
          "INVALID",
          Code.ANCHORED_BLOCK_MISMATCH,
          `the bundle says block ${a.blockNumber} (time ${a.timestamp}); the chain says block ${s.blockNumber} (time ${s.timestamp})`,
          "证明包中的区块号或时间与链上不符",
          { blockNumber: s.blockNumber, timestamp: s.timestamp },
        );
      }
      return r(
        "VALID",
        Code.OK,
        `anchored on chain ${a.chainId} by contract ${a.contract} in block ${s.blockNumber}`,
        `已于区块 ${s.blockNumber} 锚定在链 ${a.chainId} 的受信任合约上`,
        {
          chainId: a.chainId,
          contract: a.contract,
          blockNumber: s.blockNumber,
          timestamp: s.timestamp,
          txHash: a.txHash,
        },
      );
    },
  },
  {
    name: "not_revoked",
    skip: (t) => skipUntrustedAnchor("not_revoked", t),
    async run(t) {
      const ev = t.evidence;
      const s = await ev.client().check(ev.anchor.contract, ev.root, t.bundle.leaf, t.bundle.proof);
      for (const [code, reasonCode, what, whatZh] of [
        [Code.REVOKED_ROOT, s.rootRevokedReason, "the whole batch (root)", "整批（根）"],
        [Code.REVOKED_LEAF, s.leafRevokedReason, "this record (leaf)", "该记录（叶）"],
      ]) {
        if (reasonCode) {
          const [en, zh] = REVOCATION_REASONS[reasonCode] ?? [
            `unknown reason ${reasonCode}`,
            `未知原因 ${reasonCode}`,
          ];
          return result(
            "not_revoked",
            t.path,
            "INVALID",
            code,
            `${what} was revoked on chain: reason ${reasonCode} (${en})`,
            `${whatZh}已在链上撤销：原因 ${reasonCode}（${zh}）`,
            { reasonCode },
          );
        }
      }
      return result("not_revoked", t.path, "VALID", Code.OK, "not revoked", "未被撤销");
    },
  },
  {
    name: "issuer",
    async skip(t) {
      const skipped = skipUnparsedOrPending("issuer", t);
      if (skipped) return skipped;
      if (!t.trust.issuers.length)
        return result(
          "issuer",
          t.path,
          "SKIPPED",
          Code.ISSUER_NONE_CONFIGURED,
          "not checked: no trusted issuers are configured",
          "未检查：未配置受信任的发证方",
        );
      return skipUntrustedAnchor("issuer", t);
    },
    async run(t) {
      const ev = t.evidence;
      const tx = await ev.client().transaction(ev.anchor.txHash);
      if (!tx)
        return result(
          "issuer",
          t.path,
          "INVALID",
          Code.ISSUER_TX_NOT_FOUND,
          "the anchoring transaction is not on this chain",
          "链上找不到锚定交易",
        );
      if (!t.trust.issuers.includes(tx.sender)) {
        return result(
          "issuer",
          t.path,
          "INVALID",
          Code.ISSUER_UNTRUSTED,
          `anchored by ${tx.sender}, which is not a trusted issuer`,
          `锚定方 ${tx.sender} 不是受信任的发证方`,
          { sender: tx.sender },
        );
      }
      return result(
        "issuer",
        t.path,
        "VALID",
        Code.OK,
        `anchored by trusted issuer ${tx.sender}`,
        `由受信任的发证方锚定：${tx.sender}`,
        { sender: tx.sender },
      );
    },
  },
];

async function runCheck(check, t) {
  try {
    return (await check.skip(t)) ?? (await check.run(t));
  } catch (exc) {
    if (exc instanceof NoRpcUrlError) {
      return result(
        check.name,
        t.path,
        "ERROR",
        Code.ANCHORED_NO_RPC_URL,
        "no chain node is configured for this page",
        "本页面未配置链节点",
      );
    }
    if (exc instanceof ChainResponseError) {
      return result(
        check.name,
        t.path,
        "ERROR",
        Code.CHAIN_BAD_ANSWER,
        `chain node gave an unusable answer: ${exc.message}`,
        `链节点返回了无法使用的应答：${exc.message}`,
      );
    }
    if (exc instanceof ChainUnavailableError) {
      return result(
        check.name,
        t.path,
        "ERROR",
        Code.CHAIN_UNAVAILABLE,
        `chain node unavailable: ${exc.message}`,
        `链节点不可用：${exc.message}`,
      );
    }
    // Anything unforeseen is ERROR: never a crash, never VALID.
    return result(
      check.name,
      t.path,
      "ERROR",
      Code.INTERNAL_ERROR,
      `unexpected error in the ${check.name} check: ${exc?.name}: ${exc?.message}`,
      `${check.name} 检查发生意外错误：${exc?.name}`,
    );
  }
}

/** Any INVALID -> INVALID; else any ERROR -> ERROR; else pending -> PENDING; else VALID. */
export function aggregate(checks, pending = false) {
  const statuses = new Set(checks.map((c) => c.status));
  if (statuses.has("INVALID")) return "INVALID";
  if (statuses.has("ERROR")) return "ERROR";
  if (pending) return "PENDING";
  return checks.length ? "VALID" : "ERROR";
}

function* walk(bundle, path, parent = null) {
  yield [path, bundle, parent];
  for (const key of NESTED_KEYS) {
    for (const [i, child] of bundle[key].entries())
      yield* walk(child, path ? `${path}.${key}[${i}]` : `${key}[${i}]`, bundle);
  }
}

/** The index of an earlier recognition of `parent` with `bundle`'s record id, or null. */
function firstListing(bundle, parent) {
  const id = String(bundle.record.id).toLowerCase();
  for (const [i, sibling] of parent.recognitions.entries()) {
    if (sibling === bundle) return null;
    if (String(sibling.record.id).toLowerCase() === id) return i;
  }
  return null;
}

// A recognition listed again under the same label (same record id) counts once, as in the Python
// `recognition` check (892). There it is decided after the signature and subject steps, which this
// browser leaves to `tanji verify` for the first listing.
function duplicateRecognition(path, b, parent) {
  if (!parent || b.record.type !== NESTED_RECORD_TYPES.recognitions) return null;
  const first = firstListing(b, parent);
  if (first === null) return null;
  return result(
    "recognition",
    path,
    "SKIPPED",
    Code.RECOGNITION_DUPLICATE,
    `the same recognition is listed at recognitions[${first}]: counted once`,
    `同一认可声明已列于 recognitions[${first}]：只计一次`,
    { duplicateOf: `recognitions[${first}]` },
  );
}

// Checks of signed statements (EIP-712) that the Python verifier runs on these record types and this
// browser verifier does not: verifyBundle lists them in `notChecked`, so a page can say so. Their
// anchoring, revocation and issuer are still checked here like any other nested bundle's.
const STATEMENT_CHECKS = { attestation: "attestation_signature", recognition: "recognition" };

function normaliseTrust({ chainId, contracts = [], issuers = [] }) {
  const lower = (list) => list.map((a) => String(a).trim().toLowerCase()).filter(Boolean);
  return {
    chainId: chainId === undefined || chainId === null || chainId === "" ? null : Number(chainId),
    contracts: lower(contracts),
    issuers: lower(issuers),
  };
}

/**
 * Verify a bundle (decoded JSON or its text) and every bundle nested in it.
 *
 * `rpcUrl` is the chain node to ask; `chainId` and `contracts` are the reader's trust (from the
 * page's server-side trust configuration, never from the bundle); `issuers` optionally lists the
 * trusted anchoring senders (the `issuer` check is SKIPPED without it). Resolves to
 * `{status: "VALID"|"INVALID"|"ERROR"|"PENDING", checks: [...], notChecked: [{name, path}],
 * record: {type, id}}` and never rejects: whatever goes wrong is an ERROR check. `notChecked` names
 * the signed-statement checks (supplier attestation signatures, recognitions) left to `tanji verify`.
 */
export async function verifyBundle(
  bundle,
  { rpcUrl, chainId, contracts = [], issuers = [], timeoutMs = DEFAULT_TIMEOUT_MS, fetchImpl } = {},
) {
  const trust = normaliseTrust({ chainId, contracts, issuers });
  const clients = new Map();
  const clientFor = (url) => {
    if (!url) throw new NoRpcUrlError("no RPC URL");
    if (!clients.has(url)) clients.set(url, new RpcClient(url, { timeoutMs, fetchImpl }));
    return clients.get(url);
  };
  let parsed = null;
  let formatError = null;
  try {
    parsed = parseBundle(typeof bundle === "string" ? loadJson(bundle) : bundle);
  } catch (exc) {
    formatError = exc;
  }
  const checks = [];
  const notChecked = [];
  let pending = false;
  const targets = parsed ? [...walk(parsed, "")] : [["", null]];
  for (const [path, b, parent] of targets) {
    pending ||= b?.status === "pending";
    const duplicate = b && duplicateRecognition(path, b, parent);
    const statementCheck =
      b && Object.hasOwn(STATEMENT_CHECKS, b.record.type) && STATEMENT_CHECKS[b.record.type];
    if (statementCheck && !duplicate)
      notChecked.push({ name: path ? `${path}.${statementCheck}` : statementCheck, path });
    const evidence =
      b && b.status !== "pending"
        ? {
            anchor: b.anchor,
            root: b.root,
            chainTrusted: trust.chainId !== null && b.anchor.chainId === trust.chainId,
            contractTrusted: trust.contracts.includes(b.anchor.contract),
            client: () => clientFor(rpcUrl),
          }
        : null;
    const target = { bundle: b, formatError, evidence, trust, path };
    for (const check of CHECKS) checks.push(await runCheck(check, target));
    if (duplicate) checks.push(duplicate);
  }
  return {
    status: aggregate(checks, pending),
    checks,
    notChecked,
    record: parsed ? { type: parsed.record.type, id: parsed.record.id } : { type: null, id: null },
    rpcUrl: rpcUrl || null,
  };
}
