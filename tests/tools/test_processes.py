"""Waiting for a child ends when it answers, when it dies, or when the time is up."""

import socket
import subprocess
import sys

import pytest

from tools import processes
from tools.cluster import Cluster
from tools.processes import ephemeral_port_floor, free_loopback_port, wait_for_port, wait_until


def test_waiting_for_a_port_ends_when_something_listens_on_it() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()

        wait_for_port(sock.getsockname()[1], "the test socket", timeout=5)


def test_waiting_ends_with_the_exit_code_of_a_child_that_has_died() -> None:
    process = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    process.wait()

    with pytest.raises(RuntimeError, match="exited with 3"):
        wait_for_port(free_loopback_port(), "the child", process=process)


def test_waiting_gives_up_at_the_timeout_and_says_what_it_waited_for() -> None:
    with pytest.raises(RuntimeError, match=r"the answer did not come up within 0\.2s"):
        wait_until(lambda: False, "the answer", timeout=0.2)


def test_a_free_port_comes_from_below_the_range_outgoing_connections_take() -> None:
    if ephemeral_port_floor() <= 2048:
        pytest.skip("no room below this machine's ephemeral range: bind(0) chooses")

    ports = {free_loopback_port() for _ in range(20)}

    assert all(1024 <= port < ephemeral_port_floor() for port in ports)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", ports.pop()))


def test_a_port_handed_out_but_not_bound_yet_is_not_handed_out_again(monkeypatch) -> None:
    if ephemeral_port_floor() <= 2048:
        pytest.skip("no room below this machine's ephemeral range: bind(0) chooses")
    floor = max(1024, ephemeral_port_floor() - 16384)
    draws = iter([7, 7, 8])
    monkeypatch.setattr(processes.secrets, "randbelow", lambda _: next(draws))

    first = free_loopback_port()
    second = free_loopback_port(exclude=frozenset({first}))

    assert (first, second) == (floor + 7, floor + 8)


WAITING = "import time; print('waiting for the others'); time.sleep(60)"


@pytest.mark.parametrize(
    ("programs", "expected"),
    [
        # The awaited process itself dies.
        (
            {"sentinel-0": "print('Could not create server TCP listening socket'); exit(1)"},
            [
                "sentinel-0 exited with 1; the end of sentinel-0.log:",
                "Could not create server TCP listening socket",
            ],
        ),
        # Another one dies, which the awaited one waits on: its log is the one that says why.
        (
            {"sentinel-0": WAITING, "sentinel-2": "print('Address already in use'); exit(1)"},
            ["sentinel-2 exited with 1; the end of sentinel-2.log:", "Address already in use"],
        ),
    ],
    ids=["awaited", "another"],
)
def test_a_cluster_wait_ends_when_one_of_its_processes_dies_with_that_log(
    programs, expected
) -> None:
    cluster = Cluster()
    try:
        for name, program in programs.items():
            # The process list is what the wait watches.
            cluster._spawn(name, [sys.executable, "-c", program])

        with pytest.raises(RuntimeError) as raised:
            cluster.wait_for("sentinel-0", lambda: False, timeout=10)
    finally:
        cluster.stop()

    assert str(raised.value).splitlines() == expected
