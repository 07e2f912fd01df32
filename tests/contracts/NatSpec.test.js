// Every function, error and event of the published interface carries complete NatSpec (a notice, a
// @param per input, a @return per output), read from the compiler's own userdoc/devdoc output, both
// for ITanjiAnchorRegistry and for TanjiAnchorRegistry, which inherits it with @inheritdoc.
const hre = require("hardhat");
const { expect } = require("chai");

const INTERFACE = "contracts/ITanjiAnchorRegistry.sol:ITanjiAnchorRegistry";
const CONTRACT = "contracts/TanjiAnchorRegistry.sol:TanjiAnchorRegistry";

async function docsOf(fullName) {
  const [source, name] = fullName.split(":");
  const buildInfo = await hre.artifacts.getBuildInfo(fullName);
  const { output } = JSON.parse(buildInfo.output.contracts[source][name].metadata);
  return { abi: (await hre.artifacts.readArtifact(fullName)).abi, user: output.userdoc, dev: output.devdoc };
}

function signature(entry) {
  const type = (p) => (p.type.startsWith("tuple") ? `(${p.components.map(type).join(",")})${p.type.slice(5)}` : p.type);
  return `${entry.name}(${entry.inputs.map(type).join(",")})`;
}

// The doc objects for one ABI entry; errors may be declared more than once, so solc lists them.
function entryDocs(docs, entry) {
  const key = { function: "methods", event: "events", error: "errors" }[entry.type];
  const pick = (doc) => {
    const found = (doc[key] || {})[signature(entry)];
    return Array.isArray(found) ? found[0] : found;
  };
  return { user: pick(docs.user) || {}, dev: pick(docs.dev) || {} };
}

function missingDocs(docs, entry) {
  const { user, dev } = entryDocs(docs, entry);
  const missing = [];
  if (!user.notice) missing.push("@notice");
  for (const input of entry.inputs) {
    if (!(dev.params || {})[input.name]) missing.push(`@param ${input.name}`);
  }
  (entry.outputs || []).forEach((output, i) => {
    if (!(dev.returns || {})[output.name || `_${i}`]) missing.push(`@return ${output.name || `#${i}`}`);
  });
  return missing;
}

describe("NatSpec of the anchor registry", function () {
  let iface;
  let contract;

  before(async function () {
    await hre.run("compile", { quiet: true });
    iface = await docsOf(INTERFACE);
    contract = await docsOf(CONTRACT);
  });

  it("documents every interface function, error and event with all its parameters", function () {
    const entries = iface.abi.filter((e) => ["function", "event", "error"].includes(e.type));
    expect(entries.map(signature)).to.include.members([
      "anchorOf(bytes32)",
      "leafRevokedReason(bytes32,bytes32)",
      "check(bytes32,bytes32,bytes32[])",
      "TanjiZeroRoot()",
      "RootAnchored(bytes32,bytes32,uint64,uint64)",
    ]);
    const published = new Set(entries.map((e) => signature(e) + e.type));
    for (const docs of [iface, contract]) {
      // Each compiled unit's own ABI entry: return names differ (`check` names its result `s`).
      const own = docs.abi.filter((e) => published.has(signature(e) + e.type));
      expect(own).to.have.length(entries.length);
      const gaps = Object.fromEntries(
        own.map((e) => [signature(e), missingDocs(docs, e)]).filter(([, missing]) => missing.length),
      );
      expect(gaps).to.deep.equal({});
    }
  });

  it("documents the contract's own roles and constructor", function () {
    const own = contract.abi.filter(
      (e) => e.type === "function" && ["ANCHORER_ROLE", "REVOKER_ROLE"].includes(e.name),
    );
    expect(own).to.have.length(2);
    for (const entry of own) expect(entryDocs(contract, entry).user.notice).to.be.a("string");
    const ctor = contract.abi.find((e) => e.type === "constructor");
    for (const input of ctor.inputs) expect(contract.dev.methods.constructor.params[input.name]).to.be.a("string");
  });

  it("reports a gap when a parameter is undocumented", function () {
    // The checker itself must be able to fail: an ABI entry with an unknown input name is a gap.
    const anchorOf = iface.abi.find((e) => e.name === "anchorOf");
    const renamed = { ...anchorOf, inputs: [{ ...anchorOf.inputs[0], name: "undocumented" }] };
    expect(missingDocs(iface, renamed)).to.deep.equal(["@param undocumented"]);
  });
});
