from tests.nodes import HARDHAT_CHAIN_ID, rpc


def test_hardhat_node_answers(hardhat_url: str) -> None:
    assert int(str(rpc(hardhat_url, "eth_chainId")), 16) == HARDHAT_CHAIN_ID
