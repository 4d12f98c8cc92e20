import socket

import pytest


def test_guard_refuses_addresses_outside_the_loopback(network_guard):
    with socket.socket() as sock, pytest.raises(ConnectionRefusedError):
        sock.connect(("192.0.2.1", 80))  # TEST-NET-1: never routed
    assert network_guard == [("192.0.2.1", 80)]
    network_guard.clear()  # this test expected the attempt


def test_guard_lets_loopback_through(network_guard):
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        with socket.socket() as sock:
            sock.connect(server.getsockname())
    assert network_guard == []
