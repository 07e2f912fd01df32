// Copy the compiled anchor contract (ABI + bytecode) into the Python package, so that a pip user
// needs no Node. With --check, exit 1 when the committed copy differs from a fresh compile (CI runs
// this through tests/contracts/test_artifact.py). --target PATH reads or writes another copy instead.
const fs = require("fs");
const path = require("path");
const hre = require("hardhat");

const NAME = "TanjiAnchorRegistry";
const DEFAULT_TARGET = path.join(__dirname, "..", "anchoring", "artifacts", `${NAME}.json`);

function targetPath(argv) {
  const i = argv.indexOf("--target");
  if (i === -1) return DEFAULT_TARGET;
  if (i + 1 >= argv.length) throw new Error("--target needs a path");
  return path.resolve(argv[i + 1]);
}

async function main() {
  const target = targetPath(process.argv);
  await hre.run("compile", { quiet: true });
  const artifact = await hre.artifacts.readArtifact(NAME);
  const { solidity } = hre.config;
  const exported = {
    contractName: NAME,
    sourceName: artifact.sourceName,
    compiler: { solc: solidity.compilers[0].version, settings: solidity.compilers[0].settings },
    abi: artifact.abi,
    bytecode: artifact.bytecode,
    deployedBytecode: artifact.deployedBytecode,
  };
  const text = JSON.stringify(exported, null, 2) + "\n";
  if (process.argv.includes("--check")) {
    const committed = fs.existsSync(target) ? fs.readFileSync(target, "utf8") : "";
    if (committed !== text) {
      console.error(`${target} differs from a fresh compile: run node scripts/export-artifact.js`);
      process.exit(1);
    }
    console.log(`${NAME} artifact matches a fresh compile`);
    return;
  }
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.writeFileSync(target, text);
  console.log(`wrote ${path.relative(process.cwd(), target)}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
