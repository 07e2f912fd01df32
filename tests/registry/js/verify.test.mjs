// verifyBundle: tampered bundles are INVALID, malformed ones fail the format check with the Python
// verifier's codes, a node that cannot be reached is ERROR (never INVALID), and against a real
// hardhat node every check agrees with the Python verifier's result on the same bundle.
import assert from "node:assert/strict";
import net from "node:net";
import { after, before, describe, test } from "node:test";

import * as tv from "../../../registry/static/verify/tanji-verify.js";
import { NO_FIXTURE, pythonFixture, readJson } from "./fixture.mjs";

const { bundles } = readJson("tests/assets/protocol_vectors.json");
const CONTRACT = bundles.full.anchor.contract;
const TRUST = { chainId: 31337, contracts: [CONTRACT] };

const byName = (report) => Object.fromEntries(report.checks.map((c) => [c.name, c]));
const edit = (fn, base = bundles.full) => {
  const b = structuredClone(base);
  fn(b);
  return b;
};

/** A loopback port with nothing listening on it: connections are refused. */
async function closedPort() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe("tampering is INVALID", () => {
  const cases = [
    [
      "a record value",
      (b) => {
        b.record.footprint.value = 100;
      },
      { integrity: 202, inclusion: 0 },
    ],
    [
      "a nested record value's type",
      (b) => {
        b.record.footprint.value = "312.5";
      },
      { integrity: 202 },
    ],
    [
      "an added record field",
      (b) => {
        b.record.extra = 1;
      },
      { integrity: 202 },
    ],
    [
      "a removed record field",
      (b) => {
        delete b.record.grade;
      },
      { integrity: 202 },
    ],
    [
      "the salt",
      (b) => {
        b.salt = "0x" + "00".repeat(32);
      },
      { integrity: 202 },
    ],
    [
      "the leaf digest",
      (b) => {
        b.leafValue[2] = "0x" + "ab".repeat(32);
      },
      { integrity: 202, inclusion: 300 },
    ],
    [
      "the record id",
      (b) => {
        b.record.id = "CQ-LBL-2026-999999";
      },
      { integrity: 201 },
    ],
    [
      "the leaf encoding",
      (b) => {
        b.leafEncoding = ["string", "string", "string"];
      },
      { integrity: 200 },
    ],
    [
      "a proof sibling",
      (b) => {
        b.proof[0] = b.proof[0].slice(0, -1) + (b.proof[0].endsWith("0") ? "1" : "0");
      },
      { integrity: 0, inclusion: 300 },
    ],
    [
      "the proof order",
      (b) => {
        b.proof.reverse();
      },
      { inclusion: 300 },
    ],
    [
      "the root",
      (b) => {
        b.root = "0x" + "cd".repeat(32);
      },
      { inclusion: 300 },
    ],
  ];
  for (const [what, change, codes] of cases) {
    test(`changing ${what}`, async () => {
      const report = await tv.verifyBundle(edit(change), {});
      assert.equal(report.status, "INVALID");
      const checks = byName(report);
      for (const [name, code] of Object.entries(codes))
        assert.equal(checks[name].code, code, `${name}: ${JSON.stringify(checks[name])}`);
    });
  }

  test("a hidden field's commitment in a redacted bundle", async () => {
    const report = await tv.verifyBundle(
      edit((b) => {
        b.disclosure.hidden.process = "0x" + "11".repeat(32);
      }, bundles.redacted),
      {},
    );
    assert.equal(byName(report).integrity.code, tv.Code.INTEGRITY_DIGEST_MISMATCH);
  });

  test("a disclosed field's salt in a redacted bundle", async () => {
    const report = await tv.verifyBundle(
      edit((b) => {
        b.disclosure.salts.supplier = b.disclosure.salts.component;
      }, bundles.redacted),
      {},
    );
    assert.equal(byName(report).integrity.code, tv.Code.INTEGRITY_DIGEST_MISMATCH);
  });

  test("tampering stays INVALID when the node is down too", async () => {
    const port = await closedPort();
    const report = await tv.verifyBundle(
      edit((b) => {
        b.record.grade = "B";
      }),
      { ...TRUST, rpcUrl: `http://127.0.0.1:${port}` },
    );
    assert.equal(report.status, "INVALID");
    assert.equal(byName(report).anchored.status, "ERROR");
  });
});

describe("malformed bundles fail the format check", () => {
  const cases = [
    ["not JSON", "{nope", 100],
    ["a JSON array", "[]", 102],
    ["nested too deeply", "[".repeat(100) + "]".repeat(100), 109],
    [
      "another format",
      edit((b) => {
        b.format = "tanji-bundle/2";
      }),
      103,
    ],
    [
      "no salt and no disclosure",
      edit((b) => {
        delete b.salt;
      }),
      104,
    ],
    [
      "salt and disclosure",
      edit((b) => {
        b.disclosure = bundles.redacted.disclosure;
      }),
      110,
    ],
    [
      "a redacted field without its salt",
      edit((b) => {
        delete b.disclosure.salts.supplier;
      }, bundles.redacted),
      111,
    ],
    [
      "a field disclosed and hidden",
      edit((b) => {
        b.disclosure.hidden.supplier = b.disclosure.hidden.process;
      }, bundles.redacted),
      112,
    ],
    [
      "a salt for an absent field",
      edit((b) => {
        b.disclosure.salts.other = b.disclosure.salts.supplier;
      }, bundles.redacted),
      113,
    ],
    [
      "non-hex root",
      edit((b) => {
        b.root = "0xzz" + b.root.slice(4);
      }),
      106,
    ],
    [
      "a short proof hash",
      edit((b) => {
        b.proof[0] = "0x1234";
      }),
      107,
    ],
    [
      "a 65-hash proof",
      edit((b) => {
        b.proof = Array(65).fill(b.root);
      }),
      108,
    ],
    [
      "a record type that is not a string",
      edit((b) => {
        b.record.type = 1;
      }),
      105,
    ],
    [
      "an empty record id",
      edit((b) => {
        b.record.id = "";
      }),
      117,
    ],
    [
      "a leafValue of the wrong length",
      edit((b) => {
        b.leafValue.pop();
      }),
      107,
    ],
    [
      "a leafValue that does not fit its encoding",
      edit((b) => {
        b.leafValue[2] = "0x12";
      }),
      117,
    ],
    [
      "a pending bundle with a root",
      edit((b) => {
        b.status = "pending";
        b.anchor = null;
        b.proof = null;
      }),
      115,
    ],
    [
      "a chain id of zero",
      edit((b) => {
        b.anchor.chainId = 0;
      }),
      117,
    ],
    [
      "a lone surrogate in the record",
      edit((b) => {
        b.record.grade = "\ud800";
      }),
      114,
    ],
    [
      "a bad nested bundle",
      edit((b) => {
        b.attestations = [{ format: "tanji-bundle/1" }];
      }),
      104,
    ],
  ];
  for (const [what, bundle, code] of cases) {
    test(what, async () => {
      const report = await tv.verifyBundle(bundle, TRUST);
      assert.equal(report.status, "INVALID");
      const checks = byName(report);
      assert.equal(checks.format.status, "INVALID");
      assert.equal(checks.format.code, code, JSON.stringify(checks.format));
      // Every other check, statement checks included, has nothing to check (as in Python).
      assert.deepEqual(
        report.checks.map((c) => c.name),
        [...tv.CHECK_NAMES],
      );
      for (const name of tv.CHECK_NAMES.filter((n) => n !== "format")) {
        assert.equal(checks[name].status, "SKIPPED");
        assert.equal(checks[name].code, tv.Code.SKIPPED_FORMAT_INVALID);
      }
    });
  }

  test("a duplicated key, anywhere in the document", async () => {
    const text = JSON.stringify(bundles.full);
    for (const dup of [
      text.replace('"grade":"A"', '"grade":"A","grade":"C"'),
      text.replace('"format":"tanji-bundle/1"', '"format":"tanji-bundle/1","format":"tanji-bundle/1"'),
      text.replace('"gtin":', '"g\\u0074in":"x","gtin":'), // the same key, escaped differently
    ]) {
      assert.notEqual(dup, text);
      const report = await tv.verifyBundle(dup, {});
      assert.equal(byName(report).format.code, tv.Code.FORMAT_DUPLICATE_KEY, dup.slice(0, 200));
    }
  });

  test("keys repeated in different objects, or as values, are fine", async () => {
    const text = JSON.stringify({ ...bundles.full, extra: [{ a: "a" }, { a: "a" }], a: { a: "a" } });
    assert.equal((await tv.verifyBundle(text, {})).checks[0].status, "VALID");
  });

  test("a bundle over 2 MiB", async () => {
    const report = await tv.verifyBundle(
      JSON.stringify({ ...bundles.full, padding: "x".repeat(2 * 1024 * 1024) }),
      {},
    );
    assert.equal(byName(report).format.code, tv.Code.FORMAT_TOO_LARGE);
  });

  test("bundle text and a decoded bundle give the same result", async () => {
    const a = await tv.verifyBundle(JSON.stringify(bundles.full), {});
    const b = await tv.verifyBundle(bundles.full, {});
    assert.deepEqual(a.checks, b.checks);
  });
});

describe("format results agree with the Python verifier", () => {
  test("fixture has the format cases", { skip: NO_FIXTURE }, () => {
    assert.ok(pythonFixture.formatCases.length >= 30);
  });

  // Where the two parsers draw the line differently, the verdict must still agree.
  const KNOWN_DIFFERENCES = {
    // eth-abi right-pads a short bytes32 (the Python integrity check then fails); ethers refuses it.
    "bytes32 too short": tv.Code.FORMAT_BAD_VALUE,
  };
  for (const c of pythonFixture?.formatCases ?? []) {
    test(`${c.why}: ${c.status} ${c.code}`, async () => {
      const report = await tv.verifyBundle(c.json, {});
      const format = byName(report).format;
      const code = KNOWN_DIFFERENCES[c.why] ?? c.code;
      assert.equal(format.code, code, format.reason);
      assert.equal(format.status, code === 0 ? "VALID" : "INVALID");
      if (c.verdict === "INVALID") assert.equal(report.status, "INVALID");
      // Nested lists are typed: the same code at the same nested path.
      if (c.code === tv.Code.FORMAT_WRONG_RECORD_TYPE) assert.equal(format.data.field, c.field);
      // Fixed members of the anchor and the disclosure: the same misspelt member named.
      if (c.code === tv.Code.FORMAT_UNKNOWN_FIELD) assert.equal(format.data.field, c.field);
    });
  }
});

describe("signed statements agree with the Python verifier, data and messages included", () => {
  const cases = pythonFixture?.statementResults ?? [];
  test("fixture has the statement cases", { skip: NO_FIXTURE }, () => {
    assert.ok(cases.length >= 20);
  });

  for (const c of cases) {
    test(`${c.why}: every result as Python gives it`, async () => {
      const report = await tv.verifyBundle(c.bundle, { trust: c.trust, now: c.now });
      const ours = Object.fromEntries(report.checks.map((r) => [r.name, r]));
      // Python ran the offline checks and recognition (no node): each of its results is ours, to
      // the data and the message in every language.
      for (const theirs of c.results) assert.deepEqual({ ...ours[theirs.name] }, theirs, theirs.name);
      // And the same line on the recognitions as `tanji verify` prints, in every language, over
      // the same results (Python asked no node; a chain check that could not ask one is ERROR,
      // and a recognition whose bundle could not be checked is never counted as accepted).
      const same = report.checks.filter((r) => c.results.some((t) => t.name === r.name));
      for (const [lang, line] of Object.entries(c.summaries))
        assert.equal(tv.recognitionsSummary(same, lang), line, lang);
    });
  }

  test("the statement definitions are the Python verifier's", { skip: NO_FIXTURE }, () => {
    const d = pythonFixture.statementDefinitions;
    assert.deepEqual([...tv.RECORD_MEMBERS], d.recordMembers);
    assert.deepEqual([tv.EIP712_DOMAIN_NAME, tv.EIP712_DOMAIN_VERSION], [d.domainName, d.domainVersion]);
    for (const kind of [tv.ATTESTATION, tv.RECOGNITION]) {
      const theirs = d.kinds[kind.recordType];
      assert.deepEqual(
        { primaryType: kind.primaryType, signerMember: kind.signerMember, struct: kind.struct },
        { primaryType: theirs.primaryType, signerMember: theirs.signerMember, struct: theirs.struct },
      );
    }
    assert.deepEqual([...tv.ATTESTATION.systemBoundaries], d.systemBoundaries);
    assert.deepEqual([...tv.RECOGNITION.subjectTypes], d.subjectTypes);
    assert.deepEqual({ ...tv.ATTESTATION.limits }, d.attestationLimits);
    assert.deepEqual({ ...tv.RECOGNITION.limits }, d.recognitionLimits);
  });
});

describe("trust files are read as tanji verify --trust reads them", () => {
  const cases = pythonFixture?.trustCases ?? [];
  test("fixture has the trust cases", { skip: NO_FIXTURE }, () => {
    assert.ok(cases.length >= 8);
  });

  for (const c of cases) {
    test(`${c.why}: ${c.field === undefined ? "accepted" : `refused at ${c.field}`}`, () => {
      if (c.field === undefined) {
        assert.deepEqual(tv.parseTrust(c.doc), c.parsed);
        return;
      }
      assert.throws(
        () => tv.parseTrust(c.doc),
        (e) => e instanceof tv.TrustConfigError && e.field === c.field,
      );
    });
  }

  test("an unusable trust is ERROR 951 and nothing is checked", async () => {
    const report = await tv.verifyBundle(bundles.full, { trust: { format: "tanji-trust/1" } });
    assert.equal(report.status, "ERROR");
    assert.deepEqual(
      report.checks.map((c) => [c.name, c.status, c.code, c.data.field]),
      [["format", "ERROR", tv.Code.CLI_BAD_TRUST_FILE, "chains"]],
    );
  });
});

describe("trust and reachability", () => {
  test("a contract the page does not trust is INVALID without asking the node", async () => {
    const report = await tv.verifyBundle(bundles.full, {
      chainId: 31337,
      contracts: ["0x" + "11".repeat(20)],
      rpcUrl: "http://127.0.0.1:1",
    });
    const checks = byName(report);
    assert.equal(report.status, "INVALID");
    assert.equal(checks.anchored.code, tv.Code.ANCHORED_UNTRUSTED_CONTRACT);
    assert.equal(checks.not_revoked.code, tv.Code.SKIPPED_ANCHOR_UNTRUSTED);
  });

  test("the bundle's contract is compared case-insensitively with the trusted list", async () => {
    const report = await tv.verifyBundle(bundles.full, {
      chainId: "31337",
      contracts: [CONTRACT.toUpperCase().replace("0X", "0x")],
    });
    assert.equal(byName(report).anchored.code, tv.Code.ANCHORED_NO_RPC_URL);
  });

  test("another chain than the page's is INVALID", async () => {
    const report = await tv.verifyBundle(bundles.full, {
      chainId: 1,
      contracts: [CONTRACT],
      rpcUrl: "http://127.0.0.1:1",
    });
    assert.equal(byName(report).anchored.code, tv.Code.ANCHORED_UNTRUSTED_CHAIN);
  });

  test("no node configured is ERROR", async () => {
    const report = await tv.verifyBundle(bundles.full, TRUST);
    assert.equal(report.status, "ERROR");
    assert.equal(byName(report).anchored.code, tv.Code.ANCHORED_NO_RPC_URL);
  });

  test("a node that refuses connections is ERROR, never INVALID", async () => {
    const port = await closedPort();
    const report = await tv.verifyBundle(bundles.full, { ...TRUST, rpcUrl: `http://127.0.0.1:${port}` });
    assert.equal(report.status, "ERROR");
    const checks = byName(report);
    assert.equal(checks.anchored.status, "ERROR");
    assert.equal(checks.anchored.code, tv.Code.CHAIN_UNAVAILABLE);
    assert.equal(checks.not_revoked.code, tv.Code.CHAIN_UNAVAILABLE);
    assert.equal(checks.integrity.status, "VALID");
    assert.equal(checks.inclusion.status, "VALID");
  });

  describe("a node that accepts connections and never answers", () => {
    let server;
    const sockets = new Set();
    before(async () => {
      server = net.createServer((s) => {
        sockets.add(s);
        s.on("error", () => {});
      });
      await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
    });
    after(async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    });

    test("is ERROR after the timeout", async () => {
      const url = `http://127.0.0.1:${server.address().port}`;
      const report = await tv.verifyBundle(bundles.full, { ...TRUST, rpcUrl: url, timeoutMs: 300 });
      assert.equal(report.status, "ERROR");
      assert.equal(byName(report).anchored.code, tv.Code.CHAIN_UNAVAILABLE);
      assert.match(byName(report).anchored.data.error, /no answer in 300 ms/);
      // The node is asked once: the other checks fail at once with the same error.
      assert.equal(byName(report).not_revoked.reason, byName(report).anchored.reason);
    });
  });

  test("a pending bundle is PENDING, with the chain checks skipped", async () => {
    const pending = edit((b) => {
      b.status = "pending";
      b.anchor = null;
      delete b.proof;
      delete b.root;
    });
    const report = await tv.verifyBundle(pending, TRUST);
    assert.equal(report.status, "PENDING");
    assert.equal(byName(report).anchored.code, tv.Code.SKIPPED_PENDING);
    assert.equal(byName(report).integrity.status, "VALID");
  });

  test("aggregation: INVALID over ERROR over PENDING over VALID; nothing checked is ERROR", () => {
    const c = (status) => ({ status });
    assert.equal(tv.aggregate([c("VALID"), c("ERROR"), c("INVALID")]), "INVALID");
    assert.equal(tv.aggregate([c("VALID"), c("ERROR")], true), "ERROR");
    assert.equal(tv.aggregate([c("VALID"), c("SKIPPED")], true), "PENDING");
    assert.equal(tv.aggregate([c("VALID"), c("SKIPPED")]), "VALID");
    assert.equal(tv.aggregate([]), "ERROR");
  });
});

describe("against a real hardhat node, in agreement with the Python verifier", () => {
  const chain = pythonFixture?.chain;
  // What a label page carries (its chain, contract and anchoring key) ...
  const trust = chain && {
    rpcUrl: chain.rpcUrl,
    chainId: chain.chainId,
    contracts: [chain.contract],
    issuers: [chain.issuer],
  };
  // ... and a partner's trust profile for the same deployment, as `tanji verify --trust` reads it.
  const profile = chain && { rpcUrl: chain.rpcUrl, trust: chain.trust };

  test("fixture names a live chain", { skip: chain ? false : NO_FIXTURE || "fixture has no chain" }, () => {
    assert.ok(Object.keys(chain.bundles).length >= 8);
  });

  for (const name of Object.keys(chain?.bundles ?? {})) {
    test(`${name}: the same verdict and the same results, data and messages included`, async () => {
      const report = await tv.verifyBundle(chain.bundles[name], profile);
      const expected = chain.pythonVerdicts[name];
      assert.deepEqual(
        report.checks.map((c) => c.name),
        expected.checks.map((c) => c.name),
      );
      for (const [i, theirs] of expected.checks.entries())
        assert.deepEqual({ ...report.checks[i] }, theirs, theirs.name);
      assert.equal(report.status, expected.status);
    });
  }

  // A trust that requires confirmations (verifier/protocol/finality.py): an anchor with fewer is
  // PENDING 409, never VALID, in the browser as in `tanji verify`.
  for (const c of chain?.finalityCases ?? []) {
    test(`finality, ${c.why}: the same verdict and the same results`, async () => {
      const report = await tv.verifyBundle(chain.bundles[c.bundle], { rpcUrl: chain.rpcUrl, trust: c.trust });
      assert.deepEqual(
        report.checks.map((x) => x.name),
        c.python.checks.map((x) => x.name),
      );
      for (const [i, theirs] of c.python.checks.entries())
        assert.deepEqual({ ...report.checks[i] }, theirs, theirs.name);
      assert.equal(report.status, c.python.status);
    });
  }

  if (chain) {
    test("a page requiring more confirmations than the block has reads PENDING 409", async () => {
      const [notFinal] = chain.finalityCases;
      assert.equal(notFinal.python.status, "PENDING");
      const report = await tv.verifyBundle(chain.bundles.valid, { ...trust, confirmations: notFinal.required });
      assert.equal(report.status, "PENDING");
      const anchored = byName(report).anchored;
      assert.deepEqual([anchored.status, anchored.code], ["SKIPPED", tv.Code.ANCHORED_NOT_FINAL]);
      assert.equal(anchored.data.required, notFinal.required);
      assert.equal(anchored.data.blockNumber, chain.bundles.valid.anchor.blockNumber);
      assert.equal((await tv.verifyBundle(chain.bundles.valid, trust)).status, "VALID");
    });

    test("valid bundle: VALID, anchored in the bundle's block, not revoked, trusted issuer", async () => {
      const report = await tv.verifyBundle(chain.bundles.valid, trust);
      assert.equal(report.status, "VALID");
      const checks = byName(report);
      assert.equal(checks.anchored.data.blockNumber, chain.bundles.valid.anchor.blockNumber);
      assert.equal(checks.issuer.status, "VALID");
    });

    test("a supply-chain label with a recognition: every hop and the recognition hold", async () => {
      const report = await tv.verifyBundle(chain.bundles.supplyChain, profile);
      assert.equal(report.status, "VALID");
      const checks = byName(report);
      for (const name of [
        "attestations[0].attestation_signature",
        "attestations[0].attestations[0].attestation_signature",
        "recognitions[0].recognition",
        "recognitions[0].anchored",
        "recognitions[0].not_revoked",
      ])
        assert.equal(checks[name].status, "VALID", `${name}: ${checks[name].reason}`);
      assert.equal(checks["recognitions[0].recognition"].data.recognizerName, chain.recognizerName);
      assert.match(tv.recognitionsSummary(report.checks, "en"), /^recognitions: 1 of 1 accepted/);
      // The page's own trust names no certification body: the recognition is not relied on (890),
      // exactly as `tanji verify --trust trust.json` reports it, and the label is still VALID.
      const own = await tv.verifyBundle(chain.bundles.supplyChain, trust);
      assert.equal(own.status, "VALID");
      assert.equal(byName(own)["recognitions[0].recognition"].code, tv.Code.RECOGNITION_NONE_CONFIGURED);
    });

    test("a withdrawn recognition is revoked on chain: INVALID 501, reason 2", async () => {
      const report = await tv.verifyBundle(chain.bundles.recognitionWithdrawn, profile);
      const revoked = byName(report)["recognitions[0].not_revoked"];
      assert.deepEqual(
        [revoked.status, revoked.code, revoked.data.reasonCode, revoked.data.reasonName],
        ["INVALID", tv.Code.REVOKED_LEAF, 2, "withdrawn"],
      );
      assert.equal(report.status, "INVALID");
    });

    test("revocations carry the on-chain reason", async () => {
      const leaf = byName(await tv.verifyBundle(chain.bundles.leafRevoked, trust)).not_revoked;
      assert.deepEqual([leaf.status, leaf.code, leaf.data.reasonCode], ["INVALID", tv.Code.REVOKED_LEAF, 3]);
      const root = byName(await tv.verifyBundle(chain.bundles.rootRevoked, trust)).not_revoked;
      assert.deepEqual([root.status, root.code, root.data.reasonCode], ["INVALID", tv.Code.REVOKED_ROOT, 1]);
    });

    test("a node on another chain than the bundle claims is INVALID", async () => {
      const bundle = edit((b) => {
        b.anchor.chainId = 1;
      }, chain.bundles.valid);
      const report = await tv.verifyBundle(bundle, { ...trust, chainId: 1 });
      assert.equal(byName(report).anchored.code, tv.Code.ANCHORED_CHAIN_ID_MISMATCH);
      assert.equal(byName(report).not_revoked.code, tv.Code.SKIPPED_ANCHOR_UNTRUSTED);
    });

    test("a trusted address with no anchor contract behind it is ERROR (unusable answer)", async () => {
      const empty = "0x" + "22".repeat(20);
      const bundle = edit((b) => {
        b.anchor.contract = empty;
      }, chain.bundles.valid);
      const report = await tv.verifyBundle(bundle, { ...trust, contracts: [empty] });
      assert.equal(report.status, "ERROR");
      assert.equal(byName(report).anchored.code, tv.Code.CHAIN_BAD_ANSWER);
    });

    test("a wrong anchoring block in the bundle is INVALID", async () => {
      const bundle = edit((b) => {
        b.anchor.blockNumber += 1;
      }, chain.bundles.valid);
      assert.equal(
        byName(await tv.verifyBundle(bundle, trust)).anchored.code,
        tv.Code.ANCHORED_BLOCK_MISMATCH,
      );
    });

    test("another transaction than the anchoring one is INVALID", async () => {
      const bundle = edit((b) => {
        b.anchor.txHash = chain.bundles.rootRevoked.anchor.txHash;
      }, chain.bundles.valid);
      assert.equal(byName(await tv.verifyBundle(bundle, trust)).anchored.code, tv.Code.ANCHORED_NO_EVENT);
    });

    test("an issuer the page does not trust is INVALID", async () => {
      const report = await tv.verifyBundle(chain.bundles.valid, {
        ...trust,
        issuers: ["0x" + "33".repeat(20)],
      });
      assert.equal(byName(report).issuer.code, tv.Code.ISSUER_UNTRUSTED);
    });
  }
});
