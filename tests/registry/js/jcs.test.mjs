// RFC 8785 canonical JSON in the browser verifier: the RFC's own examples, and edge-case records
// whose expected bytes, salts, commitments and leaves the Python implementation computed.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import * as tv from "../../../registry/static/verify/tanji-verify.js";
import { NO_FIXTURE, pythonFixture } from "./fixture.mjs";

describe("RFC 8785 examples", () => {
  // RFC 8785 Appendix B: IEEE 754 doubles and their canonical text, within the protocol's range
  // (finite, below 2^53 in magnitude: docs/PROTOCOL.md section 2, "Numbers").
  const numbers = [
    [0, "0"],
    [-0, "0"],
    [Number.MIN_VALUE, "5e-324"],
    [-Number.MIN_VALUE, "-5e-324"],
    [9007199254740991, "9007199254740991"],
    [-9007199254740991, "-9007199254740991"],
    [4503599627370495.5, "4503599627370495.5"],
    [0.000001, "0.000001"],
    [1e-7, "1e-7"],
    [333333333.3333333, "333333333.3333333"],
    [0.1, "0.1"],
  ];
  for (const [value, text] of numbers) {
    test(`number ${text}`, () => assert.equal(tv.canonicalize(value), text));
  }
  // The RFC's examples beyond that range: JCS could write them, the protocol refuses them.
  for (const value of [Number.MAX_VALUE, 2 ** 53, -(2 ** 53), 295147905179352830000, 1e21, 1e23]) {
    test(`number ${value} is out of range`, () =>
      assert.throws(
        () => tv.canonicalize({ a: [value] }),
        (e) => e.code === tv.Code.FORMAT_NUMBER_OUT_OF_RANGE && e.field === "a[0]",
      ));
  }

  test("member order is by UTF-16 code units (RFC 8785 section 3.2.3)", () => {
    const obj = { "\u20ac": 1, "\r": 2, "\ufb33": 3, 1: 4, "\ud83d\ude00": 5, "\u0080": 6, "\u00f6": 7 };
    assert.equal(
      tv.canonicalize(obj),
      '{"\\r":2,"1":4,"\u0080":6,"\u00f6":7,"\u20ac":1,"\ud83d\ude00":5,"\ufb33":3}',
    );
  });

  test("strings escape only what JSON requires", () => {
    assert.equal(
      tv.canonicalize('\u0000\b\t\n\f\r\u001f\u007f"\\/é\u2028'),
      '"\\u0000\\b\\t\\n\\f\\r\\u001f\u007f\\"\\\\/é\u2028"',
    );
  });

  test("whitespace, nesting and literals", () => {
    const parsed = JSON.parse(' { "b" : [ 1 , { "d" : null , "c" : true } ] , "a" : false } ');
    assert.equal(tv.canonicalize(parsed), '{"a":false,"b":[1,{"c":true,"d":null}]}');
  });

  for (const bad of [NaN, Infinity, -Infinity, undefined, () => 1, 10n]) {
    test(`refuses ${String(bad)}`, () => assert.throws(() => tv.canonicalize(bad), tv.BundleFormatError));
  }

  test("refuses lone surrogates", () => {
    assert.throws(() => tv.canonicalize("\ud800"), tv.BundleFormatError);
    assert.throws(() => tv.canonicalize({ "a\udc00": 1 }), tv.BundleFormatError);
    assert.equal(tv.canonicalize("\ud83c\udf31"), '"\ud83c\udf31"');
  });
});

describe("edge-case records computed by the Python implementation", () => {
  test("fixture has the edge cases", { skip: NO_FIXTURE }, () => {
    assert.deepEqual(pythonFixture.edgeCases.map((c) => c.name).sort(), [
      "keys",
      "nested",
      "numbers",
      "unicode",
    ]);
  });

  for (const c of pythonFixture?.edgeCases ?? []) {
    test(`${c.name}: JCS bytes, field salts, commitments, leaf value and hash`, () => {
      assert.equal(tv.canonicalize(c.record), c.recordJcs);
      assert.deepEqual(
        tv.jcsOrder(Object.keys(c.record)),
        c.fields.map((f) => f.name),
      );
      for (const f of c.fields) {
        assert.equal(tv.canonicalize([f.name, c.record[f.name]]), f.jcs, f.name);
        assert.equal(tv.fieldSalt(c.masterSalt, f.name), f.salt, f.name);
        assert.equal(tv.fieldCommitment(f.name, c.record[f.name], f.salt), f.commitment, f.name);
      }
      assert.deepEqual(tv.recordLeafValue(c.record, c.masterSalt), c.leafValue);
      assert.equal(tv.leafHash(tv.LEAF_ENCODING, c.leafValue), c.leafHash);
    });

    test(`${c.name}: the redacted (pending) bundle checks out, and a changed value does not`, async () => {
      const report = await tv.verifyBundle(c.redactedPendingBundle, {});
      assert.equal(report.status, "PENDING", JSON.stringify(report.checks));
      const integrity = report.checks.find((r) => r.name === "integrity");
      assert.equal(integrity.status, "VALID");
      assert.match(integrity.reason, /\d+ fields, [1-9]\d* hidden/);
      assert.ok(integrity.data.hiddenCount >= 1);

      const tampered = structuredClone(c.redactedPendingBundle);
      const name = Object.keys(tampered.record).find((k) => k !== "type" && k !== "id");
      tampered.record[name] = [tampered.record[name]];
      const bad = await tv.verifyBundle(tampered, {});
      assert.equal(bad.status, "INVALID");
      assert.equal(bad.checks.find((r) => r.name === "integrity").code, tv.Code.INTEGRITY_DIGEST_MISMATCH);
    });
  }

  for (const r of pythonFixture?.canonicalRefusals ?? []) {
    test(`refused by Python and JS alike: ${r.why}`, () => {
      assert.throws(
        () => tv.canonicalize(JSON.parse(r.json)),
        (e) => e instanceof tv.BundleFormatError && (r.code === undefined || e.code === r.code),
      );
    });
  }
});
