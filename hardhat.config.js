// Hardhat 2 compiling fully offline: the solc npm package (solc-js, pinned exactly in package.json)
// replaces Hardhat's compiler download. Compile for shanghai so Ganache 7.9, Hardhat and py-evm all run it.
const path = require("path");
const { subtask } = require("hardhat/config");
const { TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD } = require("hardhat/builtin-tasks/task-names");
require("@nomicfoundation/hardhat-chai-matchers");
require("@nomicfoundation/hardhat-ethers");

const SOLC_VERSION = require("solc/package.json").version;

subtask(TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD, async (args, hre, runSuper) => {
  if (args.solcVersion !== SOLC_VERSION) {
    throw new Error(`only solc ${SOLC_VERSION} (the npm solc package) is available offline, not ${args.solcVersion}`);
  }
  const compilerPath = path.join(path.dirname(require.resolve("solc/package.json")), "soljson.js");
  return { compilerPath, isSolcJs: true, version: args.solcVersion, longVersion: require("solc").version() };
});

/** @type import('hardhat/config').HardhatUserConfig */
module.exports = {
  solidity: {
    version: SOLC_VERSION,
    settings: { optimizer: { enabled: true, runs: 10000 }, evmVersion: "shanghai" },
  },
  paths: { sources: "./contracts", tests: "./tests/contracts", cache: "./cache", artifacts: "./artifacts" },
  networks: { hardhat: { hardfork: "shanghai" } },
};
