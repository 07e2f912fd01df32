// A stand-in for a signer's wallet, for docs/WALKTHROUGH.md (scripts/walkthrough.sh): ethers v6
// and @openzeppelin/merkle-tree, both in this repository's node_modules.
//
//   node scripts/wallet.mjs new                 a new private key (a real signer keeps it in a wallet)
//   node scripts/wallet.mjs address             the address of $TANJI_SIGNER_KEY
//   node scripts/wallet.mjs sign-message        personal_sign (EIP-191) of the text on stdin
//   node scripts/wallet.mjs sign-typed-data     eth_signTypedData_v4 of the JSON on stdin
//                                               (the `wallet` member the registry serves)
//   node scripts/wallet.mjs leaf                the Merkle leaf hash of the bundle on stdin
//
// The key comes only from the environment (TANJI_SIGNER_KEY), never from arguments.
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { Wallet } from "ethers";

async function stdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks).toString("utf8");
}

function wallet() {
  const key = process.env.TANJI_SIGNER_KEY;
  if (!key) throw new Error("set TANJI_SIGNER_KEY to the signing key (0x + 64 hex)");
  return new Wallet(key);
}

const command = process.argv[2];
if (command === "new") {
  console.log(Wallet.createRandom().privateKey);
} else if (command === "address") {
  console.log(wallet().address);
} else if (command === "sign-message") {
  console.log(await wallet().signMessage(await stdin()));
} else if (command === "sign-typed-data") {
  const data = JSON.parse(await stdin());
  // eth_signTypedData_v4 takes EIP712Domain among the types; ethers derives it from the domain.
  const { EIP712Domain, ...types } = data.types;
  if (!EIP712Domain) throw new Error("expected eth_signTypedData_v4 data (types.EIP712Domain)");
  console.log(await wallet().signTypedData(data.domain, types, data.message));
} else if (command === "leaf") {
  const bundle = JSON.parse(await stdin());
  const tree = StandardMerkleTree.of([bundle.leafValue], bundle.leafEncoding);
  console.log(tree.leafHash(bundle.leafValue));
} else {
  console.error("usage: node scripts/wallet.mjs new|address|sign-message|sign-typed-data|leaf");
  process.exit(2);
}
