// Shared test data: the committed vectors, and the fixture tests/registry/test_browser_verify.py
// builds with the Python implementation (and a live hardhat node) and names in TANJI_JS_FIXTURE.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

export function readJson(relative) {
  return JSON.parse(fs.readFileSync(path.join(ROOT, relative), "utf8"));
}

const fixturePath = process.env.TANJI_JS_FIXTURE;
/** The Python-made fixture, or null when the suite runs on its own (those tests then skip). */
export const pythonFixture = fixturePath ? JSON.parse(fs.readFileSync(fixturePath, "utf8")) : null;
export const NO_FIXTURE = pythonFixture
  ? false
  : "needs TANJI_JS_FIXTURE (run through pytest tests/registry/test_browser_verify.py)";
