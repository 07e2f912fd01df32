// The vendored ethers build (the very file the page loads), for tests that need ethers directly.
import { createRequire } from "node:module";

export const ethers = createRequire(import.meta.url)("../../../registry/static/vendor/ethers.umd.min.js");
