import os
import sys

from redis import Redis

from tools.redis_server import EmbeddedRedis, run_with_redis


def test_embedded_server_speaks_redis_on_loopback_and_stops() -> None:
    with EmbeddedRedis() as server:
        client = Redis.from_url(server.url)
        client.set("k", "v")
        assert client.get("k") == b"v"
        assert server.url.startswith("redis://127.0.0.1:")
        process = server.process
    assert process.poll() is not None


def test_run_with_redis_hands_the_child_a_working_redis_url(monkeypatch) -> None:
    monkeypatch.delenv("REDIS_URL", raising=False)
    child = "import os, redis; redis.Redis.from_url(os.environ['REDIS_URL']).ping()"

    assert run_with_redis([sys.executable, "-c", child]) == 0
    assert "REDIS_URL" not in os.environ


def test_run_with_redis_uses_an_existing_redis_url(monkeypatch, redis_server) -> None:
    monkeypatch.setenv("REDIS_URL", redis_server.url)
    child = f"import os, sys; sys.exit(os.environ['REDIS_URL'] != {redis_server.url!r})"

    assert run_with_redis([sys.executable, "-c", child]) == 0
