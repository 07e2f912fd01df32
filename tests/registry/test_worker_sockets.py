"""``tanji serve --workers N``: each worker's connections have Nagle's algorithm off, as one
process's have (else every answer waits up to 40 ms for the client's delayed acknowledgement)."""

from __future__ import annotations

import asyncio
import socket

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from registry.workers import NoDelayHttp, no_delay


async def test_a_connection_accepted_on_a_worker_socket_gets_nodelay() -> None:
    # The listening socket as uvicorn binds it for worker processes: proto 0.
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    accepted: asyncio.Queue[asyncio.BaseTransport] = asyncio.Queue()

    class Accept(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            accepted.put_nowait(transport)

    server = await asyncio.get_running_loop().create_server(Accept, sock=listener)
    async with server:
        _, writer = await asyncio.open_connection(*listener.getsockname())
        transport = await asyncio.wait_for(accepted.get(), 10)
        sock = transport.get_extra_info("socket")
        # asyncio sets TCP_NODELAY only on sockets it knows are TCP (proto 6): not this one.
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 0
        no_delay(transport)
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
        writer.close()
        transport.close()


def test_the_workers_speak_uvicorns_httptools_protocol_with_nodelay() -> None:
    assert issubclass(NoDelayHttp, HttpToolsProtocol)
    assert "no_delay" in NoDelayHttp.connection_made.__code__.co_names
