"""Waiting for a child ends when it answers, when it dies, or when the time is up."""

import socket
import subprocess
import sys

import pytest

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
    taken = free_loopback_port()

    ports = {free_loopback_port(exclude=frozenset({taken})) for _ in range(50)}

    assert taken not in ports
    # Where the range starts at 1024 or lower there is no room below it: bind(0)'s choice.
    if ephemeral_port_floor() > 2048:
        assert all(1024 <= port < ephemeral_port_floor() for port in ports)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", ports.pop()))


def test_a_cluster_process_that_dies_while_awaited_ends_the_wait_with_its_log() -> None:
    cluster = Cluster()
    try:
        cluster._spawn(  # the process list is what the wait watches
            "sentinel-0",
            [
                sys.executable,
                "-c",
                "print('Could not create server TCP listening socket'); exit(1)",
            ],
        )

        with pytest.raises(RuntimeError) as raised:
            cluster.wait_for("sentinel-0", lambda: False, timeout=10)
    finally:
        cluster.stop()

    assert str(raised.value).splitlines() == [
        "sentinel-0 exited with 1; the end of sentinel-0.log:",
        "Could not create server TCP listening socket",
    ]


def test_a_cluster_wait_ends_when_another_of_its_processes_dies_and_shows_that_log() -> None:
    cluster = Cluster()
    try:
        cluster._spawn(  # the process list is what the wait watches
            "sentinel-0",
            [sys.executable, "-c", "import time; print('waiting for the others'); time.sleep(60)"],
        )
        cluster._spawn(
            "sentinel-2",
            [sys.executable, "-c", "print('Address already in use'); exit(1)"],
        )

        with pytest.raises(RuntimeError) as raised:
            cluster.wait_for("sentinel-0", lambda: False, timeout=10)
    finally:
        cluster.stop()

    assert str(raised.value).splitlines() == [
        "sentinel-2 exited with 1; the end of sentinel-2.log:",
        "Address already in use",
    ]
