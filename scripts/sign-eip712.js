// Sign EIP-712 typed data with ethers v6, the way a supplier's wallet or back office would.
//
//   TANJI_SIGNER_KEY=0x... node scripts/sign-eip712.js < typed-data.json
//
// Reads full EIP-712 JSON (types incl. EIP712Domain, primaryType, domain, message) on stdin and
// prints one JSON line: {"signature", "digest" (TypedDataEncoder.hash), "address"}. The key comes
// only from the environment, never from arguments (they show in `ps`). Used by
// tests/verifier/test_eip712_js_interop.py to check our Python digest and recovery against ethers.
const { Wallet, TypedDataEncoder, verifyTypedData } = require("ethers");

function readStdin() {
  return new Promise((resolve, reject) => {
    const chunks = [];
    process.stdin.on("data", (c) => chunks.push(c));
    process.stdin.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    process.stdin.on("error", reject);
  });
}

async function main() {
  const key = process.env.TANJI_SIGNER_KEY;
  if (!key) throw new Error("set TANJI_SIGNER_KEY to the signing key (0x + 64 hex)");
  const data = JSON.parse(await readStdin());
  // ethers derives the domain type itself and refuses EIP712Domain among the struct types.
  const types = { ...data.types };
  delete types.EIP712Domain;
  if (TypedDataEncoder.getPrimaryType(types) !== data.primaryType) {
    throw new Error(`primary type is ${TypedDataEncoder.getPrimaryType(types)}, not ${data.primaryType}`);
  }
  const wallet = new Wallet(key);
  const signature = await wallet.signTypedData(data.domain, types, data.message);
  const digest = TypedDataEncoder.hash(data.domain, types, data.message);
  const recovered = verifyTypedData(data.domain, types, data.message, signature);
  if (recovered !== wallet.address) throw new Error("ethers does not recover its own signature");
  process.stdout.write(JSON.stringify({ signature, digest, address: wallet.address }) + "\n");
}

main().catch((err) => {
  process.stderr.write(`sign-eip712: ${err.message}\n`);
  process.exit(1);
});
