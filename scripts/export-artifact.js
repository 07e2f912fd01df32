// Copy the compiled anchor contract (ABI + bytecode) into the Python package, so that a pip user
// needs no Node. With --check, exit 1 when the committed copy differs from a fresh compile.
const fs = require("fs");
const path = require("path");
const hre = require("hardhat");

const NAME = "TanjiAnchorRegistry";
const TARGET = path.join(__dirname, "..", "anchoring", "artifacts", `${NAME}.json`);

async function main() {
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
    const committed = fs.existsSync(TARGET) ? fs.readFileSync(TARGET, "utf8") : "";
    if (committed !== text) {
      console.error(`${TARGET} differs from a fresh compile: run node scripts/export-artifact.js`);
      process.exit(1);
    }
    console.log(`${NAME} artifact matches a fresh compile`);
    return;
  }
  fs.mkdirSync(path.dirname(TARGET), { recursive: true });
  fs.writeFileSync(TARGET, text);
  console.log(`wrote ${path.relative(process.cwd(), TARGET)}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
