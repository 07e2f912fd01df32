// Tanji in-browser verifier: checks a tanji-bundle/1 on the reader's own device.
//
// It recomputes the record digest, the leaf and the Merkle root from the bundle, checks the EIP-712
// signatures of every supplier hop and recognition, then asks a chain node (JSON-RPC over fetch)
// whether each root is anchored on a *trusted* contract and still active, so that a reader need not
// take the registry server's word for it. The protocol's normative definition is the Python package
// `verifier` (record.py, merkle.py, canonical.py, eip712.py, trust.py, checks/): every check, code,
// status, path, data member and verdict rule here mirrors it, and tests/registry/js/ holds this file
// to the shared test vectors and to the Python verifier's results on the same bundles.
//
// Keccak-256, ABI coding, EIP-712 hashing and signer recovery come from the vendored ethers v6 UMD
// build (../vendor/), loaded on demand unless the page already loaded it as a classic script.

// -- protocol tables: generated from verifier/protocol (./tanji-protocol.js) ----------------------
// Codes, check names, formats, bounds and reasons are not written here: scripts/gen_browser_tables.py
// generates them from the Python package, and a test fails when that file is stale.
import {
  BUNDLE_FORMAT,
  CHECK_NAMES,
  Code,
  EIP712_DOMAIN_NAME,
  EIP712_DOMAIN_TYPE,
  EIP712_DOMAIN_VERSION,
  LEAF_ENCODING,
  LIMITS,
  MAX_JSON_INT,
  NESTED_RECORD_TYPES,
  RECORD_MEMBERS,
  SIGNATURE_BYTES,
  STATEMENT_KINDS,
} from "./tanji-protocol.js";

export { BUNDLE_FORMAT, CHECK_NAMES, Code, LEAF_ENCODING };
export { EIP712_DOMAIN_NAME, EIP712_DOMAIN_VERSION, RECORD_MEMBERS };
// Bounds a bundle stays within: they cap what a hostile bundle can cost.
const { MAX_BUNDLE_BYTES, MAX_DEPTH, MAX_NESTED, MAX_LEAF_ARITY, MAX_PROOF_LENGTH, MAX_JSON_DEPTH } =
  LIMITS;
// Each nested list holds records of one type (code 120).
const NESTED_KEYS = Object.keys(NESTED_RECORD_TYPES);
const DEFAULT_TIMEOUT_MS = 10000;

// The one contract call a verifier needs (ITanjiAnchorRegistry.check); the tests hold its selector
// and output types to anchoring/artifacts/TanjiAnchorRegistry.json.
export const CHECK_SIGNATURE =
  "function check(bytes32 root, bytes32 leaf, bytes32[] proof) view returns " +
  "(tuple(bool anchored, bool included, bool active, uint64 blockNumber, uint64 timestamp, " +
  "uint16 rootRevokedReason, uint16 leafRevokedReason) s)";
export const ROOT_ANCHORED_EVENT = "RootAnchored(bytes32,bytes32,uint64,uint64)";

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
// verifier/protocol/canonical.py: a JSON number is read as its IEEE 754 double (JSON.parse does exactly that)
// and accepted only when finite and below 2^53 in magnitude (I-JSON, RFC 7493), however it is spelt.
const NUMBER_LIMIT = 2 ** 53;

function numberInRange(value) {
  return Number.isFinite(value) && Math.abs(value) < NUMBER_LIMIT;
}

/**
 * Refuse the first number outside the protocol's range in a decoded JSON value (verifier/protocol/canonical.py
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

// -- record -> leaf value (verifier/protocol/leaf.py) ----------------------------------------------------
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

// -- OpenZeppelin StandardMerkleTree (verifier/protocol/merkle.py) -----------------------------------------
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

// -- bundle parsing (verifier/_internal/bundle.py, verifier/protocol/wire.py) ---------------------------------------
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
  only(d, DISCLOSURE_KEYS, where + ".");
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

// The anchor and the disclosure have fixed members (verifier/_internal/bundle.py): a misspelt one must not
// pass silently (code 119).
const ANCHOR_KEYS = Object.freeze(["chainId", "contract", "txHash", "blockNumber", "timestamp"]);
const DISCLOSURE_KEYS = Object.freeze(["salts", "hidden"]);

function only(obj, allowed, path) {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key))
      throw new BundleFormatError(`unknown member ${path + key}`, {
        field: path + key,
        code: Code.FORMAT_UNKNOWN_FIELD,
      });
  }
}

function parseAnchor(value, path) {
  const obj = jsonObject(value, path.replace(/\.$/, ""));
  only(obj, ANCHOR_KEYS, path);
  const timestamp = obj.timestamp ?? null;
  return {
    chainId: uint(member(obj, "chainId", path), path + "chainId", 1),
    contract: hexBytes(member(obj, "contract", path), path + "contract", 20),
    txHash: hex32(member(obj, "txHash", path), path + "txHash"),
    blockNumber: uint(member(obj, "blockNumber", path), path + "blockNumber", 1),
    timestamp: timestamp === null ? null : uint(timestamp, path + "timestamp"),
  };
}

// -- chain access over JSON-RPC (verifier/_internal/chain.py) ------------------------------------------------
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

  /** The node's latest block number (eth_blockNumber), for an anchor's confirmations. */
  head() {
    return this.once("head", async () =>
      quantity(await this.request("eth_blockNumber", []), "eth_blockNumber", this.url),
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

// Messages, reasons and languages of the protocol core, generated from verifier/protocol (imported
// whole, beside the tables at the top of this file).
import * as protocol from "./tanji-protocol.js";

// -- trust (verifier/_internal/trust.py) ---------------------------------------------------------------------
/** A trust file that cannot be used (verifier.errors.TrustConfigError), naming the bad field. */
export class TrustConfigError extends Error {
  constructor(message, { field = null } = {}) {
    super(message);
    this.name = "TrustConfigError";
    this.field = field;
  }
}

function trustField(read) {
  try {
    return read();
  } catch (exc) {
    if (exc instanceof BundleFormatError)
      throw new TrustConfigError(`trust file: ${exc.message}`, { field: exc.field });
    throw exc;
  }
}

function trustNames(value, field) {
  // A set, kept sorted (the order of a trust file's lists means nothing).
  return [...new Set(jsonList(value, field).map((item, i) => text(item, `${field}[${i}]`)))].sort();
}

/**
 * Parse a tanji-trust/1 document (decoded JSON or its text) as `tanji verify --trust` does
 * (verifier/_internal/trust.py): chains with their contracts and node, issuers, and for mutual recognition
 * the certification bodies and accepted schemes. Addresses are kept lower-case. Throws
 * TrustConfigError naming the bad field.
 */
export function parseTrust(doc) {
  let obj = doc;
  if (typeof doc === "string") {
    try {
      obj = JSON.parse(doc);
    } catch (exc) {
      throw new TrustConfigError(`trust file is not JSON: ${exc.message}`);
    }
  }
  return trustField(() => {
    obj = jsonObject(obj, "");
    if (obj.format !== protocol.TRUST_FORMAT)
      throw new TrustConfigError(`trust file format must be '${protocol.TRUST_FORMAT}'`, {
        field: "format",
      });
    const chains = [];
    jsonList(member(obj, "chains", ""), "chains").forEach((item, i) => {
      const path = `chains[${i}]`;
      const chain = jsonObject(item, path);
      const rpcUrl = chain.rpcUrl ?? null;
      const contracts = jsonList(member(chain, "contracts", path + "."), path + ".contracts");
      const parsed = {
        chainId: uint(member(chain, "chainId", path + "."), path + ".chainId", 1),
        rpcUrl: rpcUrl === null ? null : text(rpcUrl, path + ".rpcUrl"),
        contracts: [...new Set(contracts.map((c, j) => hexBytes(c, `${path}.contracts[${j}]`, 20)))].sort(),
        // Blocks on top of an anchor's block before it is final (verifier/protocol/finality.py).
        confirmations: uint(chain.confirmations ?? protocol.DEFAULT_CONFIRMATIONS, path + ".confirmations"),
      };
      if (chains.some((c) => c.chainId === parsed.chainId))
        throw new TrustConfigError(`chain ${parsed.chainId} listed twice`, { field: path + ".chainId" });
      chains.push(parsed);
    });
    const issuers = jsonList(obj.issuers ?? [], "issuers").map((item, i) => ({
      address: hexBytes(
        member(jsonObject(item, `issuers[${i}]`), "address", `issuers[${i}].`),
        `issuers[${i}].address`,
        20,
      ),
      name: item.name ? String(item.name) : "",
    }));
    const bodies = [];
    jsonList(obj.certificationBodies ?? [], "certificationBodies").forEach((item, i) => {
      const path = `certificationBodies[${i}]`;
      const entry = jsonObject(item, path);
      const body = {
        address: hexBytes(member(entry, "address", path + "."), path + ".address", 20),
        name: entry.name ? String(entry.name) : "",
        schemes: trustNames(entry.schemes ?? [], path + ".schemes"),
        categories: trustNames(entry.categories ?? [], path + ".categories"),
      };
      if (bodies.some((b) => b.address === body.address))
        throw new TrustConfigError(`${body.address} listed twice`, { field: path + ".address" });
      bodies.push(body);
    });
    const accepted = obj.acceptedSchemes ?? null;
    return {
      name: typeof obj.name === "string" ? obj.name : "",
      chains,
      issuers,
      certificationBodies: bodies,
      acceptedSchemes: accepted === null ? null : trustNames(accepted, "acceptedSchemes"),
    };
  });
}

/** The trust of a page that names one chain, its contracts and issuers (data-chain-id ...). */
export function pageTrust({ chainId, contracts = [], issuers = [], rpcUrl = null, confirmations = 0 } = {}) {
  const lower = (list) => list.map((a) => String(a).trim().toLowerCase()).filter(Boolean);
  const id = chainId === undefined || chainId === null || chainId === "" ? null : Number(chainId);
  return {
    name: "",
    chains:
      id === null
        ? []
        : [
            {
              chainId: id,
              rpcUrl: rpcUrl || null,
              contracts: lower(contracts),
              confirmations: Number(confirmations) || protocol.DEFAULT_CONFIRMATIONS,
            },
          ],
    issuers: lower(issuers).map((address) => ({ address, name: "" })),
    certificationBodies: [],
    acceptedSchemes: null,
  };
}

const trustChain = (trust, chainId) => trust.chains.find((c) => c.chainId === chainId) ?? null;

function trustsContract(trust, chainId, contract) {
  const chain = trustChain(trust, chainId);
  return chain !== null && chain.contracts.includes(String(contract).toLowerCase());
}

const byAddress = (list, address) => list.find((x) => x.address === String(address).toLowerCase()) ?? null;
// verifier/_internal/trust.py CertificationBody: an empty list accepts anything, except that a recognition
// for every category ("") is accepted only from a body without a category limit.
const bodyAcceptsScheme = (body, scheme) => !body.schemes.length || body.schemes.includes(scheme);
const bodyAcceptsCategory = (body, category) =>
  !body.categories.length || (Boolean(category) && body.categories.includes(category));
const trustAcceptsScheme = (trust, scheme) =>
  trust.acceptedSchemes === null || trust.acceptedSchemes.includes(scheme);

// -- signed statements: EIP-712 (verifier/protocol/eip712.py, attestation.py, recognition.py) --------------
// The domain, the structs, their signer members and message bounds, the record members (anything
// else is an unsigned, redactable annotation), MAX_JSON_INT and SIGNATURE_BYTES come from
// ./tanji-protocol.js (STATEMENT_KINDS ...): only the message readers are written here.
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
// Canonical decimal: no "+", no exponent, no leading zeros, no trailing fractional zeros.
const DECIMAL = /^-?(0|[1-9][0-9]{0,17})(\.[0-9]{0,11}[1-9])?$/;
// verifier/protocol/text.py HIDDEN_CATEGORIES: characters that make a reader see other text than is signed.
const HIDDEN_CHARACTER = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/u;

/** A signed statement that does not hold (verifier.errors.AttestationError): a code and a field. */
export class AttestationError extends Error {
  constructor(message, { code, field = null }) {
    super(message);
    this.name = "AttestationError";
    this.code = code;
    this.field = field;
  }
}

const fail = (message, code, field) => {
  throw new AttestationError(message, { code, field });
};

// Python's repr() of a string, as the Python verifier's messages quote a member's name (its
// `detail` is compared with this verifier's in tests/registry/js).
function pyRepr(value) {
  const quote = value.includes("'") && !value.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of value) {
    const cp = ch.codePointAt(0);
    if (ch === "\\" || ch === quote) out += "\\" + ch;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (ch !== " " && /[\p{C}\p{Z}]/u.test(ch))
      out +=
        cp < 0x100
          ? `\\x${hex2(cp)}`
          : cp < 0x10000
            ? `\\u${hex4(cp)}`
            : `\\U${cp.toString(16).padStart(8, "0")}`;
    else out += ch;
  }
  return out + quote;
}
const hex2 = (n) => n.toString(16).padStart(2, "0");
const hex4 = (n) => n.toString(16).padStart(4, "0");

function readAddress(value, field) {
  if (typeof value !== "string" || !HEX.test(value) || value.length !== 42)
    fail(`${field} must be a 0x-prefixed 20-byte hex address`, "bad_address", field);
  const body = value.slice(2);
  if (body !== body.toLowerCase() && body !== body.toUpperCase()) {
    let checksummed = null;
    try {
      checksummed = ethers.getAddress(value);
    } catch {
      // a mixed-case address with a wrong checksum
    }
    if (checksummed !== value) fail(`${field} has a wrong EIP-55 checksum`, "bad_checksum", field);
  }
  return ethers.getAddress(value.toLowerCase());
}

function readBytes32(value, field) {
  if (typeof value !== "string" || !HEX.test(value) || value.length !== 66)
    fail(`${field} must be 0x followed by 64 hex digits`, "bad_bytes32", field);
  return value.toLowerCase();
}

function readUint(value, field, { minimum = 0, maximum = MAX_JSON_INT } = {}) {
  if (typeof value !== "number" || !Number.isInteger(value))
    fail(`${field} must be an integer`, "wrong_type", field);
  if (value < minimum || value > maximum)
    fail(`${field} must be between ${minimum} and ${maximum}`, "out_of_range", field);
  return value;
}

function readText(value, field, { allowEmpty = false, maxLength = 256 } = {}) {
  if (typeof value !== "string") fail(`${field} must be a string`, "wrong_type", field);
  if (!value && !allowEmpty) fail(`${field} must not be empty`, "empty", field);
  if ([...value].length > maxLength)
    // characters are code points (Python's len)
    fail(`${field} is longer than ${maxLength} characters`, "too_long", field);
  if (value !== value.trim() || HIDDEN_CHARACTER.test(value))
    fail(`${field} has control or format characters, or leading/trailing whitespace`, "bad_text", field);
  if (value.normalize("NFC") !== value) fail(`${field} is not in Unicode NFC`, "not_nfc", field);
  return value;
}

function readChoice(value, field, choices) {
  if (typeof value !== "string" || !choices.includes(value))
    fail(`${field} must be one of ${choices.join(", ")}`, "bad_enum", field);
  return value;
}

function readDecimal(value, field) {
  if (typeof value !== "string")
    fail(`${field} must be a decimal string such as "12.345"`, "wrong_type", field);
  if (!DECIMAL.test(value) || value === "-0")
    fail(
      `${field} must be a canonical decimal (no exponent, no leading or trailing zeros, ` +
        "at most 18 integer and 12 fractional digits)",
      "bad_decimal",
      field,
    );
  return value;
}

function readBytes32List(value, field, maxItems) {
  if (!Array.isArray(value)) fail(`${field} must be a list`, "wrong_type", field);
  if (value.length > maxItems) fail(`${field} has more than ${maxItems} entries`, "too_many", field);
  const items = value.map((item, i) => readBytes32(item, `${field}[${i}]`));
  for (let i = 1; i < items.length; i++) {
    if (items[i] <= items[i - 1])
      fail(`${field} must be sorted ascending without duplicates`, "not_sorted", `${field}[${i}]`);
  }
  return items;
}

/** Every struct member present, nothing else. */
function checkMembers(message, struct) {
  if (!isObject(message)) fail("message must be an object", "wrong_type", "message");
  const names = struct.map((m) => m.name);
  for (const name of names) {
    if (!Object.hasOwn(message, name))
      fail(`message has no ${pyRepr(name)}`, "missing_field", `message.${name}`);
  }
  for (const name of Object.keys(message)) {
    if (!names.includes(name))
      fail(
        `message member ${pyRepr(name)} is not part of the signed struct`,
        "unknown_field",
        `message.${name}`,
      );
  }
}

/** A supplier's signed component footprint (verifier/protocol/attestation.py). */
export const ATTESTATION = Object.freeze({
  ...STATEMENT_KINDS[NESTED_RECORD_TYPES.attestations],
  validate(m) {
    checkMembers(m, this.struct);
    const { text: maxText, unit, upstream } = this.limits;
    const normal = {
      supplier: readAddress(m.supplier, "message.supplier"),
      componentId: readText(m.componentId, "message.componentId", { maxLength: maxText }),
      productId: readText(m.productId, "message.productId", { maxLength: maxText }),
      declaredUnit: readText(m.declaredUnit, "message.declaredUnit", { maxLength: unit }),
      kgCo2ePerUnit: readDecimal(m.kgCo2ePerUnit, "message.kgCo2ePerUnit"),
      systemBoundary: readChoice(m.systemBoundary, "message.systemBoundary", this.systemBoundaries),
      periodStart: readUint(m.periodStart, "message.periodStart"),
      periodEnd: readUint(m.periodEnd, "message.periodEnd"),
      upstream: readBytes32List(m.upstream, "message.upstream", upstream),
      nonce: readBytes32(m.nonce, "message.nonce"),
      expiry: readUint(m.expiry, "message.expiry", { minimum: 1 }),
    };
    if (normal.periodEnd <= normal.periodStart)
      fail("periodEnd must be after periodStart", "bad_period", "message.periodEnd");
    return normal;
  },
});

/** A certification body's signed recognition of a label or scheme (verifier/protocol/recognition.py). */
export const RECOGNITION = Object.freeze({
  ...STATEMENT_KINDS[NESTED_RECORD_TYPES.recognitions],
  validate(m) {
    checkMembers(m, this.struct);
    const { scheme, scope } = this.limits;
    const normal = {
      recognizer: readAddress(m.recognizer, "message.recognizer"),
      scheme: readText(m.scheme, "message.scheme", { maxLength: scheme }),
      subjectType: readChoice(m.subjectType, "message.subjectType", this.subjectTypes),
      subject: readBytes32(m.subject, "message.subject"),
      category: readText(m.category, "message.category", { allowEmpty: true, maxLength: scheme }),
      scope: readText(m.scope, "message.scope", { maxLength: scope }),
      validFrom: readUint(m.validFrom, "message.validFrom"),
      validUntil: readUint(m.validUntil, "message.validUntil"),
      nonce: readBytes32(m.nonce, "message.nonce"),
    };
    if (normal.subject === "0x" + "00".repeat(32))
      fail("subject must not be zero", "empty", "message.subject");
    if (normal.validUntil !== 0 && normal.validUntil <= normal.validFrom)
      fail("validUntil must be 0 (until withdrawn) or after validFrom", "bad_period", "message.validUntil");
    return normal;
  },
});

/** `keccak256(abi.encode(string schemeId, string category))`: the subject of a scheme recognition. */
export function schemeSubject(schemeId, category = "") {
  readText(schemeId, "schemeId", { maxLength: RECOGNITION.limits.scheme });
  readText(category, "category", { allowEmpty: true, maxLength: RECOGNITION.limits.scheme });
  return ethers.keccak256(abiCoder.encode(["string", "string"], [schemeId, category]));
}

/** The EIP-712 digest of a validated message of `kind` signed for (chainId, contract). */
export function statementDigest(kind, message, { chainId, contract }) {
  const domain = {
    name: EIP712_DOMAIN_NAME,
    version: EIP712_DOMAIN_VERSION,
    chainId: readUint(chainId, "domain.chainId", { minimum: 1 }),
    verifyingContract: readAddress(contract, "domain.verifyingContract"),
  };
  const copy = (struct) => struct.map((m) => ({ ...m }));
  try {
    // keccak256(0x1901 ‖ hashStruct(EIP712Domain) ‖ hashStruct(message)), the domain typed by its
    // definition (eip712.py EIP712_DOMAIN_TYPE) rather than inferred from the domain's members.
    const separator = ethers.TypedDataEncoder.hashStruct(
      "EIP712Domain",
      { EIP712Domain: copy(EIP712_DOMAIN_TYPE) },
      domain,
    );
    const structHash = ethers.TypedDataEncoder.hashStruct(
      kind.primaryType,
      { [kind.primaryType]: copy(kind.struct) },
      message,
    );
    return ethers.keccak256(ethers.concat(["0x1901", separator, structHash]));
  } catch (exc) {
    fail(`typed data cannot be encoded: ${exc.shortMessage || exc.message}`, "bad_typed_data", "typedData");
  }
}

function signatureBytes(value, field) {
  if (typeof value !== "string") fail(`${field} must be a 0x-prefixed hex string`, "wrong_type", field);
  if (!HEX.test(value) || value.length % 2) fail(`${field} is not 0x-prefixed hex`, "bad_hex", field);
  const size = (value.length - 2) / 2;
  if (size !== SIGNATURE_BYTES)
    fail(`${field} must be ${SIGNATURE_BYTES} bytes, not ${size}`, "bad_signature_length", field);
  return value.toLowerCase();
}

/**
 * The EIP-55 address whose key signed `digest` (verifier/protocol/signature.py): `r || s || v` with v in
 * {27, 28, 0, 1}, r and s in range, and low s only (EIP-2: one statement, one signature).
 */
export function recoverSigner(digest, signature) {
  const r = BigInt("0x" + signature.slice(2, 66));
  const s = BigInt("0x" + signature.slice(66, 130));
  const v = parseInt(signature.slice(130, 132), 16);
  if (![27, 28, 0, 1].includes(v))
    fail(`signature v must be 27, 28, 0 or 1, not ${v}`, "bad_recovery_id", "signature");
  if (r < 1n || r >= SECP256K1_N) fail("signature r is out of range", "bad_r", "signature");
  if (s === 0n || s >= SECP256K1_N) fail("signature s is out of range", "bad_s", "signature");
  if (s > SECP256K1_N / 2n)
    fail("signature s is in the upper half of the curve order (malleable, EIP-2)", "high_s", "signature");
  try {
    return ethers.recoverAddress(digest, {
      r: "0x" + signature.slice(2, 66),
      s: "0x" + signature.slice(66, 130),
      v: v < 27 ? v + 27 : v,
    });
  } catch {
    fail("signature recovers no public key", "unrecoverable", "signature");
  }
}

/**
 * Re-check a statement record from scratch (StatementKind.verify_record): the id is the EIP-712
 * digest of its message, the signature recovers to the message's signer member and to `signer`.
 * Returns the signer; throws AttestationError with the Python verifier's code and field.
 */
export function verifyStatementRecord(kind, record) {
  if (!isObject(record)) fail("record must be an object", "wrong_type", "record");
  for (const name of RECORD_MEMBERS) {
    if (!Object.hasOwn(record, name))
      fail(`record has no ${pyRepr(name)}`, "missing_field", `record.${name}`);
  }
  if (record.type !== kind.recordType)
    fail(`record type must be ${pyRepr(kind.recordType)}`, "wrong_record_type", "record.type");
  const message = kind.validate(record.message);
  const digest = statementDigest(kind, message, {
    chainId: record.chainId,
    contract: record.verifyingContract,
  });
  if (digest !== readBytes32(record.id, "record.id"))
    fail("record id is not the EIP-712 digest of its message", "id_mismatch", "record.id");
  const signer = recoverSigner(digest, signatureBytes(record.signature, "record.signature"));
  const claimed = message[kind.signerMember];
  if (signer !== claimed)
    fail(
      `signed by ${signer}, but message.${kind.signerMember} is ${claimed}`,
      "signer_mismatch",
      `message.${kind.signerMember}`,
    );
  if (readAddress(record.signer, "record.signer") !== signer)
    fail(`record.signer is not the recovered signer ${signer}`, "signer_mismatch", "record.signer");
  return signer;
}

// The label-scheme rule (verifier/protocol/scheme.py): a label's scheme id is its record's
// `scheme`, else its certificate number without the trailing "-<year>-<serial>" (ASCII digits;
// "CQ-CFL-2026-000123" -> "CQ-CFL"), and only if that is valid scheme text (as a signed
// Recognition's `scheme`); otherwise the label has none.
const CERTIFICATE_NUMBER = new RegExp(protocol.CERTIFICATE_NUMBER_PATTERN, "u");

function schemeText(value) {
  try {
    return readText(value, "scheme", { maxLength: protocol.MAX_SCHEME });
  } catch (exc) {
    if (exc instanceof AttestationError) return null;
    throw exc;
  }
}

/** The certification scheme a label record was issued under, or null (docs/PROTOCOL.md 10.7). */
export function labelSchemeId(record) {
  if (typeof record.scheme === "string" && record.scheme) return schemeText(record.scheme);
  const number = record.certificate_number;
  const match = typeof number === "string" ? CERTIFICATE_NUMBER.exec(number) : null;
  return match ? schemeText(match[1]) : null;
}

/** The product category code of a label record (`product.category`), or null. */
export function labelCategory(record) {
  const product = record.product;
  const category = isObject(product) ? product.category : null;
  return typeof category === "string" && category ? category : null;
}

// -- checks (verifier/_internal/checks/) ---------------------------------------------------------------------
// A result carries a stable code and the data the check found, never prose: its message in every
// language is the catalogue's template for that code (and check) filled from that data, exactly as
// the Python verifier's CheckResult.to_dict() gives it ("reason" in English, "reasons" by tag).
function result(name, path, status, code, data = {}) {
  const reasons = Object.fromEntries(
    protocol.LANGUAGES.map((lang) => [lang, protocol.formatMessage(code, lang, data, name)]),
  );
  return {
    name: path ? `${path}.${name}` : name,
    check: name,
    path,
    status,
    code,
    reason: reasons.en,
    reasons,
    data,
  };
}

/** The message of a result (from verifyBundle) in `lang`, any tag normalizeLanguage reads. */
export function resultMessage(r, lang = protocol.DEFAULT_LANGUAGE) {
  return protocol.formatMessage(r.code, lang, r.data, r.check);
}

function skipUnparsedOrPending(name, t) {
  if (!t.bundle) return result(name, t.path, "SKIPPED", Code.SKIPPED_FORMAT_INVALID);
  if (t.bundle.status === "pending") return result(name, t.path, "SKIPPED", Code.SKIPPED_PENDING);
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
  if (!(await anchorTrusted(t))) return result(name, t.path, "SKIPPED", Code.SKIPPED_ANCHOR_UNTRUSTED);
  return null;
}

const formatCheck = {
  name: "format",
  skip: () => null,
  run(t) {
    if (t.bundle) return result("format", t.path, "VALID", Code.OK, { format: BUNDLE_FORMAT });
    const e = t.formatError;
    if (e instanceof BundleFormatError)
      return result("format", t.path, "INVALID", e.code, { field: e.field, detail: e.message });
    throw e;
  },
};

const integrityCheck = {
  name: "integrity",
  skip: (t) => (t.bundle ? null : skipUnparsedOrPending("integrity", t)),
  run(t) {
    const b = t.bundle;
    const r = (...a) => result("integrity", t.path, ...a);
    if (
      b.leafEncoding.length !== LEAF_ENCODING.length ||
      b.leafEncoding.some((x, i) => x !== LEAF_ENCODING[i])
    ) {
      return r("INVALID", Code.INTEGRITY_WRONG_ENCODING, {
        leafEncoding: [...b.leafEncoding],
        expectedEncoding: [...LEAF_ENCODING],
      });
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
      return r("INVALID", Code.INTEGRITY_LEAF_MISMATCH, {
        leafTypeId: given.slice(0, 2),
        recordTypeId: expected.slice(0, 2),
      });
    }
    if (typeof given[2] !== "string" || given[2].toLowerCase() !== expected[2]) {
      // A field value, a salt or a hidden commitment was changed.
      return r("INVALID", Code.INTEGRITY_DIGEST_MISMATCH, { digest: expected[2], leafDigest: given[2] });
    }
    return r("VALID", Code.OK, {
      digest: expected[2],
      fieldCount: Object.keys(commitments).length,
      hiddenCount: hidden,
    });
  },
};

const inclusionCheck = {
  name: "inclusion",
  skip: (t) => skipUnparsedOrPending("inclusion", t),
  run(t) {
    const b = t.bundle;
    const computed = processProof(b.leaf, b.proof);
    if (computed !== b.root) {
      return result("inclusion", t.path, "INVALID", Code.INCLUSION_ROOT_MISMATCH, {
        leaf: b.leaf,
        computedRoot: computed,
        root: b.root,
      });
    }
    return result("inclusion", t.path, "VALID", Code.OK, {
      leaf: b.leaf,
      root: b.root,
      proofLength: b.proof.length,
    });
  },
};

// -- attestation_signature (verifier/_internal/checks/attestation_signature.py, codes 7xx) -------------------
/** The signed members a statement record does not disclose (a redacted bundle), in order. */
const hiddenMembers = (record) => RECORD_MEMBERS.filter((name) => !Object.hasOwn(record, name));

/** Whether `parent` names the attestation; null when that cannot be seen (hidden). */
function attestationLinked(attestationId, parent) {
  if (!parent) return true; // a bundle of the attestation itself
  const record = parent.record;
  if (record.type === ATTESTATION.recordType) {
    if (!isObject(record.message)) return null;
    return (record.message.upstream || []).includes(attestationId);
  }
  const components = record.components;
  if (components === undefined || components === null) return null;
  if (!Array.isArray(components)) return false;
  return components.some((c) => isObject(c) && c.attestation_id === attestationId);
}

// A supplier attestation is signed by its supplier, for a trusted deployment, and is the component
// (or upstream) its parent names. Needs no chain.
const attestationSignatureCheck = {
  name: "attestation_signature",
  applies: (t) => t.bundle.record.type === ATTESTATION.recordType,
  skip(t) {
    if (!t.bundle) return skipUnparsedOrPending("attestation_signature", t);
    const hidden = hiddenMembers(t.bundle.record);
    // Hiding the message is a supplier's right; its commitment still binds it, but who signed
    // what cannot be shown to this reader.
    if (hidden.length)
      return result("attestation_signature", t.path, "SKIPPED", Code.ATTESTATION_REDACTED, { hidden });
    return null;
  },
  run(t) {
    const r = (...a) => result("attestation_signature", t.path, ...a);
    const record = t.bundle.record;
    let signer;
    try {
      signer = verifyStatementRecord(ATTESTATION, record);
    } catch (exc) {
      if (!(exc instanceof AttestationError)) throw exc;
      return r("INVALID", Code.ATTESTATION_BAD_SIGNATURE, {
        errorCode: exc.code,
        field: exc.field,
        detail: exc.message,
      });
    }
    const message = record.message;
    const facts = {
      supplier: signer,
      componentId: message.componentId,
      kgCo2ePerUnit: message.kgCo2ePerUnit,
      declaredUnit: message.declaredUnit,
    };
    if (t.trust && !trustsContract(t.trust, record.chainId, record.verifyingContract)) {
      return r("INVALID", Code.ATTESTATION_UNTRUSTED_DOMAIN, {
        verifyingContract: record.verifyingContract,
        chainId: record.chainId,
        ...facts,
      });
    }
    const linked = attestationLinked(String(record.id), t.parent);
    if (linked === false) return r("INVALID", Code.ATTESTATION_NOT_LINKED, facts);
    return r("VALID", Code.OK, { linked, ...facts }); // linked null: the parent's list is hidden
  },
};

// -- recognition (verifier/_internal/checks/recognition.py, codes 8xx) --------------------------------------
const utc = (seconds) => new Date(seconds * 1000).toISOString().slice(0, 16).replace("T", " ") + " UTC";

/** 3. Signed for a deployment this verifier trusts (no replay from another registry). */
function untrustedDomain(s) {
  const { record } = s;
  if (!s.trust || trustsContract(s.trust, record.chainId, record.verifyingContract)) return null;
  return s.result("INVALID", Code.RECOGNITION_UNTRUSTED_DOMAIN, {
    verifyingContract: record.verifyingContract,
    chainId: record.chainId,
    ...s.facts,
  });
}

/** 4. About the label it is nested in: its category, and its leaf or its scheme. */
function aboutAnotherSubject(s) {
  const label = s.parent;
  if (!label) return null;
  const { message } = s;
  const category = message.category;
  const labelCat = labelCategory(label.record);
  const schemeId = labelSchemeId(label.record);
  const about =
    message.subjectType === "label"
      ? message.subject === label.leaf
      : schemeId !== null && message.subject === schemeSubject(schemeId, category);
  if (about && !(category && labelCat !== null && category !== labelCat)) return null;
  return s.result("INVALID", Code.RECOGNITION_SUBJECT_MISMATCH, {
    subject: message.subject,
    labelLeaf: label.leaf,
    labelScheme: schemeId,
    labelCategory: labelCat,
    ...s.facts,
  });
}

/** 4a. Counted once: a later listing of the same recognition (same record id) is reported only. */
function listedBefore(s) {
  const label = s.parent;
  if (!label) return null;
  const id = String(s.record.id).toLowerCase();
  for (const [i, sibling] of label.recognitions.entries()) {
    if (sibling === s.bundle) return null;
    if (String(sibling.record.id).toLowerCase() === id)
      return s.result("SKIPPED", Code.RECOGNITION_DUPLICATE, {
        duplicateOf: `recognitions[${i}]`,
        ...s.facts,
      });
  }
  return null;
}

/** 5. Not signed by a body of the trust: no evidence against the label, only not relied on. */
function notReliedOn(s) {
  if (!s.trust || !s.trust.certificationBodies.length)
    return s.result("SKIPPED", Code.RECOGNITION_NONE_CONFIGURED, s.facts);
  return s.result("SKIPPED", Code.RECOGNITION_RECOGNIZER_NOT_IN_PROFILE, s.facts);
}

/** 6. In force at `now` (a withdrawal is the not_revoked check's finding: its leaf is revoked). */
function notInForce(s, now) {
  if (now < s.message.validFrom) return s.result("INVALID", Code.RECOGNITION_NOT_YET_VALID, s.facts);
  if (s.message.validUntil && now >= s.message.validUntil)
    return s.result("INVALID", Code.RECOGNITION_EXPIRED, s.facts);
  return null;
}

/** 7. Under a scheme and for a category the trust accepts from that body. */
function notAccepted(s, body) {
  const scheme = s.message.scheme;
  if (!(bodyAcceptsScheme(body, scheme) && trustAcceptsScheme(s.trust, scheme)))
    return s.result("INVALID", Code.RECOGNITION_SCHEME_NOT_ACCEPTED, s.facts);
  // A recognition of a label without a category is for the label's own category.
  const labelCat = s.parent ? labelCategory(s.parent.record) : null;
  const own = s.message.subjectType === "label" ? labelCat : null;
  s.facts.effectiveCategory = s.message.category || own || "";
  if (!bodyAcceptsCategory(body, s.facts.effectiveCategory))
    return s.result("INVALID", Code.RECOGNITION_CATEGORY_NOT_ACCEPTED, s.facts);
  return null;
}

// Steps numbered as in docs/PROTOCOL.md section 10.7: 1-4 hold for anybody's recognition (a
// forged or misplaced one is INVALID whoever claims to have signed it); 5-7 decide whether this
// trust relies on it. A duplicate (4a) is decided only once 1-4 hold, so a forged copy reusing a
// recognition's id is 800, not 892.
const recognitionCheck = {
  name: "recognition",
  applies: (t) => t.bundle.record.type === RECOGNITION.recordType,
  skip: (t) => (t.bundle ? null : skipUnparsedOrPending("recognition", t)),
  run(t) {
    const r = (...a) => result("recognition", t.path, ...a);
    const record = t.bundle.record;
    // 1. Every signed member is disclosed: a redacted signature proves nothing about who.
    const hidden = hiddenMembers(record);
    if (hidden.length) return r("INVALID", Code.RECOGNITION_REDACTED, { hidden });
    // 2. The EIP-712 signature recovers to the recognizer named in the message.
    let signer;
    try {
      signer = verifyStatementRecord(RECOGNITION, record);
    } catch (exc) {
      if (!(exc instanceof AttestationError)) throw exc;
      return r("INVALID", Code.RECOGNITION_BAD_SIGNATURE, {
        errorCode: exc.code,
        field: exc.field,
        detail: exc.message,
      });
    }
    const message = RECOGNITION.validate(record.message);
    const s = {
      result: r,
      bundle: t.bundle,
      record,
      parent: t.parent,
      trust: t.trust,
      message,
      facts: {
        recognizer: signer,
        scheme: message.scheme,
        subjectType: message.subjectType,
        category: message.category,
        validFrom: message.validFrom,
        validUntil: message.validUntil,
        validFromUtc: utc(message.validFrom),
        validUntilUtc: message.validUntil ? utc(message.validUntil) : "",
      },
    };
    const found = untrustedDomain(s) ?? aboutAnotherSubject(s) ?? listedBefore(s);
    if (found) return found;
    // 5. Relied on only if signed by a body of the trust.
    const body = s.trust ? byAddress(s.trust.certificationBodies, signer) : null;
    if (!body) return notReliedOn(s);
    s.facts.recognizerName = body.name;
    return notInForce(s, t.now) ?? notAccepted(s, body) ?? r("VALID", Code.OK, s.facts);
  },
};

// -- chain checks (verifier/_internal/checks/anchored.py, not_revoked.py, issuer.py) ------------------------
const anchoredCheck = {
  name: "anchored",
  skip: (t) => skipUnparsedOrPending("anchored", t),
  async run(t) {
    const r = (...a) => result("anchored", t.path, ...a);
    const ev = t.evidence;
    const a = ev.anchor;
    // 1-3. The chain, the contract and the node are the ones the trust names (the bundle's word
    // counts for nothing).
    if (!ev.chainTrusted) return r("INVALID", Code.ANCHORED_UNTRUSTED_CHAIN, { chainId: a.chainId });
    if (!ev.contractTrusted)
      return r("INVALID", Code.ANCHORED_UNTRUSTED_CONTRACT, { contract: a.contract, chainId: a.chainId });
    const client = ev.client();
    const nodeChain = await client.chainId();
    if (nodeChain !== a.chainId)
      return r("INVALID", Code.ANCHORED_CHAIN_ID_MISMATCH, { nodeChainId: nodeChain, chainId: a.chainId });
    // 4. The contract says the root is anchored and the proof holds.
    const s = await client.check(a.contract, ev.root, t.bundle.leaf, t.bundle.proof);
    if (!s.anchored) return r("INVALID", Code.ANCHORED_ROOT_NOT_ANCHORED, { root: ev.root });
    if (!s.included) return r("INVALID", Code.ANCHORED_NOT_INCLUDED);
    // 5. The named transaction emitted RootAnchored(root) from that contract.
    const tx = await client.transaction(a.txHash);
    if (!tx || !tx.succeeded) return r("INVALID", Code.ANCHORED_TX_NOT_FOUND, { txHash: a.txHash });
    const event = tx.logs.find(
      (l) =>
        l.address === a.contract &&
        l.topics.length === 3 &&
        l.topics[0] === ROOT_ANCHORED_TOPIC &&
        l.topics[1] === ev.root,
    );
    if (!event) return r("INVALID", Code.ANCHORED_NO_EVENT, { txHash: a.txHash });
    // 6. Block and time agree between bundle, receipt and contract.
    if (
      tx.blockNumber !== s.blockNumber ||
      a.blockNumber !== s.blockNumber ||
      (a.timestamp !== null && a.timestamp !== s.timestamp)
    ) {
      return r("INVALID", Code.ANCHORED_BLOCK_MISMATCH, {
        blockNumber: s.blockNumber,
        timestamp: s.timestamp,
        bundleBlockNumber: a.blockNumber,
        bundleTimestamp: a.timestamp,
      });
    }
    // 7. The block is deep enough for the trust: else not final yet (PENDING, 409).
    if (ev.requiredConfirmations) {
      const head = await client.head();
      if (!protocol.isFinal(s.blockNumber, head, ev.requiredConfirmations))
        return r("SKIPPED", Code.ANCHORED_NOT_FINAL, {
          blockNumber: s.blockNumber,
          confirmations: protocol.anchorConfirmations(s.blockNumber, head),
          required: ev.requiredConfirmations,
        });
    }
    return r("VALID", Code.OK, {
      chainId: a.chainId,
      contract: a.contract,
      blockNumber: s.blockNumber,
      timestamp: s.timestamp,
      txHash: a.txHash,
    });
  },
};

const notRevokedCheck = {
  name: "not_revoked",
  skip: (t) => skipUntrustedAnchor("not_revoked", t),
  async run(t) {
    const ev = t.evidence;
    const s = await ev.client().check(ev.anchor.contract, ev.root, t.bundle.leaf, t.bundle.proof);
    // The whole batch (root) first, then this record (leaf).
    for (const [code, reasonCode] of [
      [Code.REVOKED_ROOT, s.rootRevokedReason],
      [Code.REVOKED_LEAF, s.leafRevokedReason],
    ]) {
      if (reasonCode) {
        const reason = protocol.revocationReason(reasonCode);
        // The record under verification (not a nested one) revoked as superseded was genuine and
        // has been replaced: SUPERSEDED 502, not INVALID (verifier/protocol/verdicts.py).
        if (code === Code.REVOKED_LEAF && reason.name === "superseded" && !t.path)
          return result("not_revoked", t.path, "SUPERSEDED", Code.REVOKED_SUPERSEDED, {
            reasonCode: reason.code,
            reasonName: reason.name,
            reasonText: { ...reason.text },
          });
        return result("not_revoked", t.path, "INVALID", code, {
          reasonCode: reason.code,
          reasonName: reason.name,
          reasonText: { ...reason.text },
        });
      }
    }
    return result("not_revoked", t.path, "VALID", Code.OK);
  },
};

const issuerCheck = {
  name: "issuer",
  async skip(t) {
    const skipped = skipUnparsedOrPending("issuer", t);
    if (skipped) return skipped;
    if (!t.trust.issuers.length) return result("issuer", t.path, "SKIPPED", Code.ISSUER_NONE_CONFIGURED);
    return skipUntrustedAnchor("issuer", t);
  },
  async run(t) {
    const ev = t.evidence;
    const tx = await ev.client().transaction(ev.anchor.txHash);
    if (!tx) return result("issuer", t.path, "INVALID", Code.ISSUER_TX_NOT_FOUND);
    const issuer = byAddress(t.trust.issuers, tx.sender);
    if (!issuer) return result("issuer", t.path, "INVALID", Code.ISSUER_UNTRUSTED, { sender: tx.sender });
    return result("issuer", t.path, "VALID", Code.OK, { sender: tx.sender, issuer: issuer.name });
  },
};

// The order of verifier/_internal/checks DEFAULT_CHECKS (CHECK_NAMES), so that results come in the same order.
const CHECKS = [
  formatCheck,
  integrityCheck,
  inclusionCheck,
  attestationSignatureCheck,
  anchoredCheck,
  notRevokedCheck,
  issuerCheck,
  recognitionCheck,
];

async function runCheck(check, t) {
  try {
    return (await check.skip(t)) ?? (await check.run(t));
  } catch (exc) {
    if (exc instanceof NoRpcUrlError)
      return result(check.name, t.path, "ERROR", Code.ANCHORED_NO_RPC_URL, {
        chainId: t.bundle?.anchor?.chainId ?? null,
      });
    if (exc instanceof ChainResponseError)
      return result(check.name, t.path, "ERROR", Code.CHAIN_BAD_ANSWER, { error: exc.message });
    if (exc instanceof ChainUnavailableError)
      return result(check.name, t.path, "ERROR", Code.CHAIN_UNAVAILABLE, { error: exc.message });
    // Anything unforeseen is ERROR: never a crash, never VALID.
    return result(check.name, t.path, "ERROR", Code.INTERNAL_ERROR, {
      check: check.name,
      exception: exc?.name ?? typeof exc,
      error: String(exc?.message ?? exc),
    });
  }
}

/**
 * Any INVALID -> INVALID; else any ERROR -> ERROR; else SUPERSEDED -> SUPERSEDED; else pending ->
 * PENDING; else VALID (verifier/protocol/verdicts.py verdict_of).
 */
export function aggregate(checks, pending = false) {
  const statuses = new Set(checks.map((c) => c.status));
  if (statuses.has("INVALID")) return "INVALID";
  if (statuses.has("ERROR")) return "ERROR";
  if (statuses.has("SUPERSEDED")) return "SUPERSEDED";
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

// Recognitions by bodies the trust does not list: reported, never relied on (verifier/cli.py).
const NOT_RELIED_ON = new Set([Code.RECOGNITION_NONE_CONFIGURED, Code.RECOGNITION_RECOGNIZER_NOT_IN_PROFILE]);
// A recognition listed twice counts once; a malformed bundle has no recognitions to count.
const NOT_COUNTED = new Set([Code.RECOGNITION_DUPLICATE, Code.SKIPPED_FORMAT_INVALID]);

/**
 * What `tanji verify` says about a report's recognitions (verifier/cli.py recognitions_summary)
 * in `lang`, or null without any: how many hold for this trust (by whom: the trust's names), and
 * how many are by bodies it does not list and so are not relied on.
 */
export function recognitionsSummary(checks, lang = protocol.DEFAULT_LANGUAGE) {
  const recognitions = checks.filter((c) => c.check === "recognition" && !NOT_COUNTED.has(c.code));
  if (!recognitions.length) return null;
  // A recognition whose own bundle could not be checked (the node is down) is not held.
  const state = recognitions.map((r) => recognitionHeld(r, checks));
  const held = recognitions.filter((_, i) => state[i] === true);
  if (!held.length && state.includes(null))
    return protocol.reportMessage("recognitions.unchecked", lang, { total: recognitions.length });
  const by = [...new Set(held.map((c) => String(c.data.recognizerName || c.data.recognizer || "?")))];
  const foreign = recognitions.filter((c) => c.status === "SKIPPED" && NOT_RELIED_ON.has(c.code)).length;
  let line = protocol.reportMessage("recognitions", lang, {
    held: held.length,
    total: recognitions.length,
    by,
  });
  if (foreign) {
    const key = foreign > 1 ? "recognitions.notReliedOn.other" : "recognitions.notReliedOn.one";
    line += protocol.reportMessage(key, lang, { count: foreign });
  }
  return line;
}

/**
 * Whether a recognition result holds (verifier/_internal/facts.py recognition_held): true when it
 * and every other check of its bundle passed, null when some check of its bundle is ERROR.
 */
export function recognitionHeld(result, checks) {
  const same = checks.filter((c) => c.path === result.path);
  if (same.some((c) => c.status === "ERROR")) return null;
  return result.status === "VALID" && same.every((c) => c.status === "VALID" || c.status === "SKIPPED");
}

/** A trust given as a tanji-trust/1 document (or its text), or as parseTrust returns it. */
function trustFrom(trust, page) {
  if (trust === undefined || trust === null) return pageTrust(page);
  if (typeof trust === "string" || trust.format !== undefined) return parseTrust(trust);
  return trust;
}

/**
 * Verify a bundle (decoded JSON or its text) and every bundle nested in it, with the checks, codes
 * and data of `tanji verify` (format, integrity, inclusion, attestation_signature, anchored,
 * not_revoked, issuer, recognition; docs/PROTOCOL.md section 10).
 *
 * The trust is the reader's, never the bundle's: either `trust`, a tanji-trust/1 document as
 * `tanji verify --trust` reads it (e.g. a partner's profile, registry/data/trust-profiles, whose
 * certification bodies decide the recognitions), or a page's `chainId`, `contracts` and optional
 * `issuers` and `confirmations` (no certification bodies: recognitions are then SKIPPED 890, as with the deployment's
 * own trust.json). `rpcUrl` is the node to ask for the chain of the bundle, as `--rpc-url` is;
 * nested bundles anchored on another chain of the trust use that chain's `rpcUrl`. `now` (unix
 * seconds; default this device's clock, as the CLI uses its machine's) is when a recognition must
 * be in force. Resolves to `{status: "VALID"|"INVALID"|"ERROR"|"PENDING", checks: [{name, check,
 * path, status, code, reason, reasons, data}], record: {type, id}, rpcUrl}` and never rejects:
 * whatever goes wrong is an ERROR result. An unusable `trust` is ERROR 951, as on the command line.
 */
export async function verifyBundle(
  bundle,
  {
    rpcUrl,
    trust: trustDocument,
    chainId,
    contracts = [],
    issuers = [],
    confirmations = 0,
    now,
    timeoutMs = DEFAULT_TIMEOUT_MS,
    fetchImpl,
  } = {},
) {
  let trust;
  try {
    trust = trustFrom(trustDocument, { chainId, contracts, issuers, rpcUrl, confirmations });
  } catch (exc) {
    if (!(exc instanceof TrustConfigError)) throw exc;
    return trustFailure(exc.message, exc.field, rpcUrl);
  }
  const clock = now ?? Math.floor(Date.now() / 1000);
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
  let pending = false;
  // The node named by `rpcUrl` serves the chain of the bundle being verified (as --rpc-url does);
  // a nested bundle anchored on another chain keeps that chain's node from the trust.
  const topChain = parsed?.anchor?.chainId ?? null;
  const nodeFor = (chain) =>
    rpcUrl && (topChain === null || chain === topChain) ? rpcUrl : trustChain(trust, chain)?.rpcUrl;
  const targets = (parsed ? [...walk(parsed, "")] : [["", null, null]]).map(([path, b, parent]) => {
    pending ||= b?.status === "pending";
    const evidence =
      b && b.status !== "pending"
        ? {
            anchor: b.anchor,
            root: b.root,
            chainTrusted: trustChain(trust, b.anchor.chainId) !== null,
            contractTrusted: trustsContract(trust, b.anchor.chainId, b.anchor.contract),
            requiredConfirmations:
              trustChain(trust, b.anchor.chainId)?.confirmations ?? protocol.DEFAULT_CONFIRMATIONS,
            client: () => clientFor(nodeFor(b.anchor.chainId)),
          }
        : null;
    return { bundle: b, formatError, evidence, trust, path, parent, now: clock };
  });
  // A label with its hops and recognitions is a dozen bundles, each a few round trips to the
  // node: put the questions the checks will ask to it at once (answers and failures are
  // remembered by the client), as the Python verifier does, rather than one after another.
  await Promise.allSettled(targets.map(prefetch));
  for (const target of targets) {
    // A check may be about some records only (attestation_signature, recognition): others get no
    // result at all. A malformed bundle gets every check's SKIPPED 901, as in the Python verifier.
    for (const check of CHECKS) {
      if (target.bundle && check.applies && !check.applies(target)) continue;
      checks.push(await runCheck(check, target));
    }
  }
  // An anchor not final yet (fewer confirmations than the trust requires) is pending, never
  // VALID (verifier/protocol/finality.py).
  pending ||= checks.some((c) => c.code === Code.ANCHORED_NOT_FINAL);
  return {
    status: aggregate(checks, pending),
    checks,
    record: parsed ? { type: parsed.record.type, id: parsed.record.id } : { type: null, id: null },
    rpcUrl: rpcUrl || null,
  };
}

/** Ask the node now what the chain checks of `target` will ask; nothing about an untrusted anchor. */
function prefetch({ bundle, evidence: ev }) {
  if (!ev || !ev.chainTrusted || !ev.contractTrusted) return Promise.resolve();
  let client;
  try {
    client = ev.client();
  } catch {
    return Promise.resolve(); // no node for this chain: the checks report it
  }
  return Promise.allSettled([
    client.chainId(),
    client.check(ev.anchor.contract, ev.root, bundle.leaf, bundle.proof),
    client.transaction(ev.anchor.txHash),
    ...(ev.requiredConfirmations ? [client.head()] : []),
  ]);
}

/** The report of a verification that could not start: its trust is unusable (ERROR 951). */
export function trustFailure(error, field = null, rpcUrl = null) {
  return {
    status: "ERROR",
    checks: [result("format", "", "ERROR", Code.CLI_BAD_TRUST_FILE, { error, field })],
    record: { type: null, id: null },
    rpcUrl: rpcUrl || null,
  };
}
