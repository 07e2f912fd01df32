// Gas of Tanji's anchor contract on the Hardhat network (shanghai), against baselines.
//
//   npx hardhat run bench/gas.js
//
// Prints markdown tables and writes them to bench/GAS.md. Measured in the same run:
//   - anchor() of real StandardMerkleTree batches of 1 .. 100,000 Tanji leaves (the record count is only
//     a parameter, so the execution gas must be identical for every size: checked, exit 1 otherwise);
//   - the naive baseline: contracts/test/NaiveRecordAnchor.sol, one SSTORE + one event per record, one
//     transaction per record, for 1, 10 and 100 records;
//   - revokeLeaf() with proofs of depth 1, 10 and 17, revokeRoot(), and check() as an eth_call;
//   - the bytes each transaction leaves on chain (signed tx, calldata, logs, new storage slots),
//     per record as batches grow. The figures also go to bench/GAS.json (bench/plots.py draws them).
// Not measured here: the ~297k gas of an EAS attestation per record is the figure measured for the
// design (DESIGN.md, "Measured facts", Prague rules), quoted for comparison only.
const fs = require("fs");
const path = require("path");
const hre = require("hardhat");
const { StandardMerkleTree } = require("@openzeppelin/merkle-tree");

const { ethers } = hre;
const LEAF_ENCODING = ["string", "string", "bytes32"]; // verifier/protocol/leaf.py LEAF_ENCODING
const BATCH_SIZES = [1, 10, 100, 1_000, 10_000, 100_000];
const NAIVE_SIZES = [1, 10, 100];
const REVOKE_DEPTHS = [1, 10, 17];
const EAS_GAS_PER_RECORD = 297_000; // DESIGN.md: measured for the design, not in this run
const INTRINSIC_GAS = 21_000n;
const TARGET_ANCHOR_GAS = 60_000n;
const TARGET_GAS_PER_RECORD_AT_10K = 10;
const OUT = path.join(__dirname, "GAS.md");
const OUT_JSON = path.join(__dirname, "GAS.json"); // the figures, for bench/plots.py
const COMMAND = "npx hardhat run bench/gas.js";

const TYPES = ["footprint", "label", "attestation", "recognition", "revocation"];

function leafValues(size, tag) {
  return Array.from({ length: size }, (_, i) => [
    TYPES[i % TYPES.length],
    `cq-${tag}-${String(i).padStart(6, "0")}`,
    ethers.id(`bench/${tag}/${i}`),
  ]);
}

// Calldata gas (EIP-2028): 4 per zero byte, 16 per non-zero byte. Execution gas is what is left of
// the receipt's gasUsed once the intrinsic 21,000 and the calldata are taken away.
function calldataGas(data) {
  let gas = 0n;
  for (const byte of ethers.getBytes(data)) gas += byte === 0 ? 4n : 16n;
  return gas;
}

// What a transaction leaves on chain, in bytes: the signed transaction as it sits in the block
// (its serialized envelope), its calldata alone, the receipt's logs (20 address + 32 per topic +
// data) and the storage slots it wrote that were empty before (found with debug_traceTransaction:
// every SSTORE key, then read at the block before), counted 64 bytes each (32 key + 32 value, a
// lower bound of the state trie's cost).
async function chainBytes(tx, receipt) {
  const txBytes = ethers.getBytes(ethers.Transaction.from(tx).serialized).length;
  const calldataBytes = ethers.getBytes(tx.data).length;
  let logBytes = 0;
  for (const entry of receipt.logs) logBytes += 20 + 32 * entry.topics.length + ethers.getBytes(entry.data).length;
  const trace = await hre.network.provider.send("debug_traceTransaction", [
    tx.hash,
    { disableMemory: true, disableStorage: true },
  ]);
  const written = new Set();
  for (const step of trace.structLogs) {
    if (step.op === "SSTORE") written.add(ethers.toBeHex(BigInt(`0x${step.stack[step.stack.length - 1]}`), 32));
  }
  let newSlots = 0;
  for (const slot of written) {
    const before = await ethers.provider.getStorage(receipt.to, slot, receipt.blockNumber - 1);
    if (BigInt(before) === 0n) newSlots += 1;
  }
  return { txBytes, calldataBytes, logBytes, slots: written.size, newSlots, stateBytes: 64 * newSlots };
}

async function measure(txPromise) {
  const tx = await txPromise;
  const receipt = await tx.wait();
  if (receipt.status !== 1) throw new Error(`transaction ${tx.hash} failed`);
  const calldata = calldataGas(tx.data);
  const bytes = await chainBytes(tx, receipt);
  return { gas: receipt.gasUsed, calldata, execution: receipt.gasUsed - INTRINSIC_GAS - calldata, bytes };
}

// On-chain bytes of one transaction: block (signed tx) + logs + new state.
const onChain = (b) => b.txBytes + b.logBytes + b.stateBytes;

const fmt = (n) => Number(n).toLocaleString("en-US");
const fmtRatio = (x) => (x >= 100 ? fmt(Math.round(x)) : x.toFixed(x >= 10 ? 1 : 2));
const fmtPerRecord = (x) => (x >= 100 ? fmt(Math.round(x)) : x.toFixed(2));
// Bytes per record fall below 0.01 in big batches: three significant digits there.
const fmtSmall = (x) => (x >= 1 ? fmtPerRecord(x) : x.toPrecision(3));

function table(header, rows) {
  const lines = [`| ${header.join(" | ")} |`, `| ${header.map((h, i) => (i === 0 ? "---" : "---:")).join(" | ")} |`];
  for (const row of rows) lines.push(`| ${row.join(" | ")} |`);
  return lines.join("\n");
}

function log(message) {
  process.stderr.write(`${message}\n`);
}

async function main() {
  if (hre.network.name !== "hardhat") throw new Error("run on the in-process Hardhat network");
  const hardfork = hre.config.networks.hardhat.hardfork;
  const solc = hre.config.solidity.compilers[0];
  const [admin] = await ethers.getSigners();
  const registry = await ethers.deployContract("TanjiAnchorRegistry", [admin]);
  const naive = await ethers.deployContract("NaiveRecordAnchor");
  const batchRef = (n) => ethers.id(`bench-batch-${n}`);

  // 1. anchor() per batch size, each a real tree of Tanji leaves.
  const trees = new Map();
  const anchors = [];
  for (const n of BATCH_SIZES) {
    log(`building a StandardMerkleTree of ${fmt(n)} leaves ...`);
    const tree = StandardMerkleTree.of(leafValues(n, `b${n}`), LEAF_ENCODING);
    trees.set(n, tree);
    anchors.push({ n, ...(await measure(registry.anchor(tree.root, n, batchRef(n)))) });
  }
  const executions = new Set(anchors.map((a) => a.execution));

  // 2. The naive baseline: one transaction (one SSTORE + one event) per record.
  const naiveRuns = [];
  for (const n of NAIVE_SIZES) {
    const tree = trees.get(n);
    let total = 0n;
    let totalBytes = 0;
    for (const [, value] of tree.entries()) {
      const run = await measure(naive.anchorRecord(tree.leafHash(value)));
      total += run.gas;
      totalBytes += onChain(run.bytes);
    }
    naiveRuns.push({ n, total, perRecord: Number(total) / n, bytesPerRecord: totalBytes / n });
  }
  const naivePerRecord = naiveRuns[naiveRuns.length - 1].perRecord; // mean over the 100-record run
  const naiveAt = (n) => naiveRuns.find((r) => r.n === n);

  // 3. revokeLeaf() by proof depth: trees of 2 and 1,024 leaves, and the 100,000-leaf batch above.
  const revokes = [];
  for (const depth of REVOKE_DEPTHS) {
    let tree = trees.get(100_000);
    if (depth < 17) {
      tree = StandardMerkleTree.of(leafValues(2 ** depth, `d${depth}`), LEAF_ENCODING);
      await (await registry.anchor(tree.root, 2 ** depth, batchRef(`d${depth}`))).wait();
    }
    const entry = Array.from(tree.entries()).find(([i]) => tree.getProof(i).length === depth);
    if (!entry) throw new Error(`no proof of depth ${depth}`);
    const [index, value] = entry;
    const leaf = tree.leafHash(value);
    const proof = tree.getProof(index);
    const checkGas = await registry.check.estimateGas(tree.root, leaf, proof);
    const revoked = await measure(registry.revokeLeaf(tree.root, leaf, proof, 1));
    revokes.push({ depth, leaves: tree.length, checkGas, ...revoked });
  }

  // 4. revokeRoot() of an anchored batch.
  const revokeRoot = await measure(registry.revokeRoot(trees.get(1_000).root, 1));

  // Report.
  const anchorTable = table(
    ["records N", "anchor() gas", "calldata gas", "execution gas", "gas / record", "naive (1 tx per record) gas / record", "naive ÷ Tanji", "EAS ~297k ÷ Tanji"],
    anchors.map(({ n, gas, calldata, execution }) => {
      const perRecord = Number(gas) / n;
      const measured = naiveAt(n);
      const naiveCell = measured ? `${fmtPerRecord(measured.perRecord)} (total ${fmt(measured.total)})` : `${fmtPerRecord(naivePerRecord)}¹`;
      const naiveGas = measured ? measured.perRecord : naivePerRecord;
      return [
        fmt(n), fmt(gas), fmt(calldata), fmt(execution), fmtPerRecord(perRecord), naiveCell,
        `${fmtRatio(naiveGas / perRecord)}×`, `${fmtRatio(EAS_GAS_PER_RECORD / perRecord)}×`,
      ];
    }),
  );
  const revokeTable = table(
    ["operation", "gas", "calldata gas", "execution gas"],
    [
      ...revokes.map((r) => [`revokeLeaf, proof depth ${r.depth} (tree of ${fmt(r.leaves)})`, fmt(r.gas), fmt(r.calldata), fmt(r.execution)]),
      ["revokeRoot", fmt(revokeRoot.gas), fmt(revokeRoot.calldata), fmt(revokeRoot.execution)],
    ],
  );
  const naiveBytes = naiveRuns[naiveRuns.length - 1].bytesPerRecord;
  const bytesTable = table(
    ["records N", "signed tx bytes", "calldata bytes", "log bytes", "storage slots written (new)", "on-chain bytes (tx + logs + 64 per new slot)", "on-chain bytes / record", "naive bytes / record", "calldata bytes / record"],
    anchors.map(({ n, bytes }) => [
      fmt(n), fmt(bytes.txBytes), fmt(bytes.calldataBytes), fmt(bytes.logBytes), `${bytes.slots} (${bytes.newSlots})`,
      fmt(onChain(bytes)), fmtSmall(onChain(bytes) / n), fmtPerRecord(naiveBytes), fmtSmall(bytes.calldataBytes / n),
    ]),
  );
  const revokeBytesTable = table(
    ["operation", "signed tx bytes", "calldata bytes", "log bytes", "storage slots written (new)", "on-chain bytes"],
    [
      ...revokes.map((r) => [`revokeLeaf, proof depth ${r.depth}`, fmt(r.bytes.txBytes), fmt(r.bytes.calldataBytes), fmt(r.bytes.logBytes), `${r.bytes.slots} (${r.bytes.newSlots})`, fmt(onChain(r.bytes))]),
      ["revokeRoot", fmt(revokeRoot.bytes.txBytes), fmt(revokeRoot.bytes.calldataBytes), fmt(revokeRoot.bytes.logBytes), `${revokeRoot.bytes.slots} (${revokeRoot.bytes.newSlots})`, fmt(onChain(revokeRoot.bytes))],
    ],
  );
  const checkTable = table(
    ["check() as eth_call (eth_estimateGas)", "gas"],
    revokes.map((r) => [`proof depth ${r.depth}`, fmt(r.checkGas)]),
  );

  const maxAnchor = anchors.reduce((m, a) => (a.gas > m ? a.gas : m), 0n);
  const at10k = Number(anchors.find((a) => a.n === 10_000).gas) / 10_000;
  const checks = [
    [`anchor() execution gas is the same for every batch size (${[...executions].map(fmt).join(", ")})`, executions.size === 1],
    [`anchor() gas <= ${fmt(TARGET_ANCHOR_GAS)} (max ${fmt(maxAnchor)})`, maxAnchor <= TARGET_ANCHOR_GAS],
    [`gas / record at 10,000 records < ${TARGET_GAS_PER_RECORD_AT_10K} (${at10k.toFixed(2)})`, at10k < TARGET_GAS_PER_RECORD_AT_10K],
  ];

  const report = [
    "# Gas of the Tanji anchor contract",
    "",
    `Made by \`${COMMAND}\` on ${new Date().toISOString().slice(0, 10)}: the in-process Hardhat network`,
    `(hardhat ${require("hardhat/package.json").version}, hardfork \`${hardfork}\`), solc ${solc.version}, evmVersion`,
    `\`${solc.settings.evmVersion}\`, optimizer ${solc.settings.optimizer.enabled ? `on (${solc.settings.optimizer.runs} runs)` : "off"}.`,
    "Gas is each transaction receipt's `gasUsed` (includes the 21,000 intrinsic gas and the calldata).",
    "",
    "## Anchoring a batch",
    "",
    anchorTable,
    "",
    "- Each batch is a real `StandardMerkleTree` of N Tanji leaves (`[\"string\",\"string\",\"bytes32\"]`);",
    "  `anchor(root, N, batchRef)` stores one slot and emits one event whatever N is. The **execution gas",
    "  is identical for every N**; the total differs only by calldata (16 gas per non-zero byte, 4 per",
    "  zero byte of root, N and batchRef).",
    "- Naive baseline, measured in the same run: `contracts/test/NaiveRecordAnchor.sol` anchors each",
    "  record in its own transaction (one SSTORE + one event, no access control, so it is cheaper than",
    "  any real per-record design). For N = 1, 10, 100 the column is the measured total ÷ N.",
    "  ¹ Beyond 100 records: the mean per record of the 100 measured calls (each call costs the same).",
    `- EAS baseline: ~${fmt(EAS_GAS_PER_RECORD)} gas per record for one EAS attestation per record is the`,
    "  design's measured figure (DESIGN.md, \"Measured facts\", Prague rules); it was **not measured here**.",
    "",
    "## On-chain bytes as batches grow",
    "",
    bytesTable,
    "",
    "- Signed tx bytes: the EIP-1559 envelope as serialized in the block (`ethers.Transaction.from(tx).serialized`).",
    "  Log bytes: 20 (address) + 32 per topic + data, per log of the receipt. Storage slots: the distinct",
    "  SSTORE keys of `debug_traceTransaction`; new = zero at the block before. A new slot is counted 64",
    "  bytes (key + value), a lower bound of what it costs the state trie.",
    "- The naive column is the same sum for the naive contract's one transaction per record (mean of the",
    "  100 measured).",
    "",
    "## Revocation",
    "",
    revokeTable,
    "",
    revokeBytesTable,
    "",
    "Depth 1 and 10 are trees of 2 and 1,024 leaves; depth 17 is a leaf of the 100,000-record batch.",
    "Each proof level adds 32 bytes of calldata and one keccak256.",
    "",
    checkTable,
    "",
    "## Targets",
    "",
    ...checks.map(([what, ok]) => `- ${ok ? "PASS" : "FAIL"}: ${what}`),
    "",
  ].join("\n");

  fs.writeFileSync(OUT, report);
  const big = (value) => (typeof value === "bigint" ? Number(value) : value);
  const plain = (row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, k === "bytes" ? { ...v, onChain: onChain(v) } : big(v)]));
  fs.writeFileSync(
    OUT_JSON,
    `${JSON.stringify({
      command: COMMAND, hardhat: require("hardhat/package.json").version, hardfork, solc: solc.version,
      anchors: anchors.map(plain), naive: naiveRuns.map(plain), revokes: revokes.map(plain), revokeRoot: plain(revokeRoot),
    }, null, 1)}\n`,
  );
  console.log(report);
  log(`wrote ${path.relative(process.cwd(), OUT)}`);
  if (checks.some(([, ok]) => !ok)) process.exitCode = 1;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
