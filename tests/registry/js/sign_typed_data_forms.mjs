// Sign the typed data the registry serves, in both of its forms, the way signers do:
//   - ethers v6: Wallet.signTypedData(domain, types, message) with the served top-level
//     domain, types and message, unchanged (ethers refuses EIP712Domain among the types);
//   - @metamask/eth-sig-util: signTypedData({ data: wallet, version: V4 }), the served `wallet`
//     member (eth_signTypedData_v4, EIP712Domain included), as a wallet signs it.
//
//   TANJI_SIGNER_KEY=0x... node tests/registry/js/sign_typed_data_forms.mjs < served.json
//
// stdin: {"domain", "types", "primaryType", "message", "wallet"}; stdout: one JSON line
// {"ethers", "ethSigUtil", "address"}. Used by tests/registry/test_typed_data_forms.py.
import { Wallet } from "ethers";
import { SignTypedDataVersion, signTypedData } from "@metamask/eth-sig-util";

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const served = JSON.parse(Buffer.concat(chunks).toString("utf8"));
const key = process.env.TANJI_SIGNER_KEY;
if (!key) throw new Error("set TANJI_SIGNER_KEY");
const wallet = new Wallet(key);
const ethers = await wallet.signTypedData(served.domain, served.types, served.message);
const ethSigUtil = signTypedData({
  privateKey: Buffer.from(key.slice(2), "hex"),
  data: served.wallet,
  version: SignTypedDataVersion.V4,
});
process.stdout.write(JSON.stringify({ ethers, ethSigUtil, address: wallet.address }) + "\n");
