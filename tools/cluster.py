"""
Several app instances behind one address, on loopback, for `make cluster` and
the cluster tests: PostgreSQL (Debian's package, in a private data folder), a
Redis primary, one replica and three Sentinels, two gunicorn instances of the
site, the second service (``remote/``), and nginx in front: round-robin over
the instances, and the second service under ``/remote/``.

    python -m tools.cluster start     # runs until Ctrl-C, then stops everything
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from redis import Redis
from redis.exceptions import RedisError

from tools.processes import (
    REPO_ROOT,
    end_process,
    free_loopback_port,
    gunicorn_command,
    listening,
    wait_until,
)
from tools.redis_server import find_server_binary, server_command
from tools.remote_service import remote_env

SERVICE = "mymaster"
DATABASE = "sessions_vs_jwt"


def _pg_bin(name: str) -> str:
    if path := shutil.which(name):
        return path
    found = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    if not found:
        raise RuntimeError("PostgreSQL is not installed: `make cluster` installs Debian's package.")
    return str(found[-1])


def _as_postgres(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root; run it as Debian's postgres user then."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


class _ExitedError(Exception):
    def __init__(self, name: str, code: int) -> None:
        super().__init__(name, code)
        self.name, self.code = name, code


@dataclass
class Process:
    name: str
    popen: subprocess.Popen

    def stop(self, sig: int = signal.SIGTERM) -> None:
        end_process(self.popen, sig=sig)


@dataclass
class Cluster:
    """Everything the cluster runs; ``start()`` brings it up, ``stop()`` ends it all."""

    instances: tuple[str, ...] = ("app-a", "app-b")
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="cluster-")))
    processes: dict[str, Process] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)
    extra_env: dict[str, str] = field(default_factory=dict)
    # What the instances and the second service share to send measurements.
    ingest_key: str = field(default_factory=lambda: secrets.token_urlsafe(32))

    # ------------------------------------------------------------ addresses
    @property
    def database_url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.ports['postgres']}/{DATABASE}"

    @property
    def sentinels(self) -> list[tuple[str, int]]:
        return [("127.0.0.1", self.ports[f"sentinel-{n}"]) for n in range(3)]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.ports['proxy']}"

    @property
    def remote_url(self) -> str:
        """The second service, through the proxy."""
        return f"{self.url}/remote"

    def instance_url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    def app_env(self, instance: str = "") -> dict[str, str]:
        return {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "REDIS_SENTINELS": ",".join(f"{host}:{port}" for host, port in self.sentinels),
            "REDIS_SENTINEL_SERVICE": SERVICE,
            "INSTANCE_NAME": instance,
            "DJANGO_DEBUG": "0",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DJANGO_LOG_LEVEL": "ERROR",
            "COMPARISON_INGEST_KEY": self.ingest_key,
            # nginx below sets X-Forwarded-For: lockouts count clients, not nginx.
            "TRUSTED_PROXY_COUNT": "1",
            **self.extra_env,
        }

    def _spawn(self, name: str, command: list[str], **kwargs) -> Process:
        # The child keeps its own copy of the log's descriptor; ours closes here.
        with (self.workdir / f"{name}.log").open("ab") as log:
            popen = subprocess.Popen(  # noqa: S603 - our own commands
                command, stdout=log, stderr=log, stdin=subprocess.DEVNULL, **kwargs
            )
        self.processes[name] = Process(name, popen)
        return self.processes[name]

    # ------------------------------------------------------------ PostgreSQL
    def start_postgres(self) -> None:
        # The postgres user must be able to reach its data folder inside ours.
        self.workdir.chmod(0o755)
        data = self.workdir / "postgres"
        data.mkdir()
        if os.geteuid() == 0:
            shutil.chown(data, "postgres", "postgres")
        self.ports["postgres"] = self._free_port()
        subprocess.run(  # noqa: S603
            _as_postgres([_pg_bin("initdb"), "-D", str(data), "-U", "postgres", "--auth=trust"]),
            check=True,
            capture_output=True,
        )
        postgres = self._spawn(
            "postgres",
            _as_postgres([
                _pg_bin("postgres"), "-D", str(data), "-p", str(self.ports["postgres"]),
                "-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={data}",
                "-c", "fsync=off",
            ]),
        )  # fmt: skip
        import psycopg  # only needed here, and only installed with the cluster extra

        admin = f"postgres://postgres@127.0.0.1:{self.ports['postgres']}/postgres"
        self.wait_for(
            postgres.name,
            lambda: _can_connect(psycopg, admin),
            errors=(psycopg.OperationalError,),
        )
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f"CREATE DATABASE {DATABASE}")

    # ------------------------------------------------------------ Redis and Sentinel
    def start_redis(self) -> None:
        binary = find_server_binary()
        for role in ("redis-primary", "redis-replica"):
            self.ports.setdefault(role, self._free_port())
        primary, replica = self.ports["redis-primary"], self.ports["redis-replica"]
        self._spawn(
            "redis-primary",
            server_command(binary, port=primary, directory=self._data_dir("redis-primary")),
        )
        self._spawn(
            "redis-replica",
            server_command(
                binary,
                port=replica,
                directory=self._data_dir("redis-replica"),
                options=("--replicaof", "127.0.0.1", str(primary)),
            ),
        )
        self.wait_for(
            "redis-replica",
            lambda: Redis(port=replica).info("replication")["master_link_status"] == "up",
            errors=(RedisError,),
        )
        for n in range(3):
            name = f"sentinel-{n}"
            port = self.ports.setdefault(name, self._free_port())
            conf = self.workdir / f"{name}.conf"
            conf.write_text(
                f"port {port}\nbind 127.0.0.1\ndir {self._data_dir(name)}\n"
                f"sentinel monitor {SERVICE} 127.0.0.1 {primary} 2\n"
                f"sentinel down-after-milliseconds {SERVICE} 1000\n"
                f"sentinel failover-timeout {SERVICE} 4000\n"
                f"sentinel parallel-syncs {SERVICE} 1\n"
            )
            self._spawn(name, [binary, str(conf), "--sentinel"])
        for n, (_, port) in enumerate(self.sentinels):
            # They find each other through hellos every 2 s: about 7 s here when all is well.
            self.wait_for(
                f"sentinel-{n}",
                partial(_sentinel_sees_others, port),
                errors=(RedisError,),
                timeout=60.0,
            )

    def wait_for(self, name: str, check: Callable[[], object], **kwargs: Any) -> None:
        """
        ``wait_until`` for the process ``name``, over as soon as any process of
        the cluster has exited (a Sentinel waits on the others, a replica on its
        primary). A failure ends with the last lines of the log of the process
        that exited, or else of ``name``, which say why.
        """

        def alive_and_checked() -> object:
            for process in self.processes.values():
                if (code := process.popen.poll()) is not None:
                    raise _ExitedError(process.name, code)
            return check()

        try:
            wait_until(alive_and_checked, name, **kwargs)
        except _ExitedError as exited:
            message = f"{exited.name} exited with {exited.code}"
            raise RuntimeError(self._log_tail(exited.name, message)) from None
        except RuntimeError as error:
            raise RuntimeError(self._log_tail(name, str(error))) from None

    def _log_tail(self, name: str, message: str) -> str:
        log = (self.workdir / f"{name}.log").read_text(errors="replace").splitlines()[-8:]
        return "\n".join((f"{message}; the end of {name}.log:", *log))

    def _free_port(self) -> int:
        """A free port, never one this cluster has handed out already (it may not be bound yet)."""
        return free_loopback_port(exclude=frozenset(self.ports.values()))

    def _data_dir(self, name: str) -> Path:
        """Each server's own folder inside ours, so none writes into the repository."""
        directory = self.workdir / name
        directory.mkdir(exist_ok=True)
        return directory

    def stop_redis(self) -> None:
        for name in [name for name in self.processes if name.startswith(("redis-", "sentinel-"))]:
            self.processes.pop(name).stop()

    def primary_port(self) -> int:
        address = Redis(port=self.sentinels[0][1]).sentinel_get_master_addr_by_name(SERVICE)
        if not isinstance(address, tuple | list):
            raise RuntimeError(f"No Sentinel knows the primary of {SERVICE}.")
        return int(address[1])

    # ------------------------------------------------------------ the site
    def start_apps(self) -> None:
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--no-input", "-v0"],
            cwd=REPO_ROOT,
            env=self.app_env(),
            check=True,
        )
        for instance in self.instances:
            port = self.ports.setdefault(instance, self._free_port())
            self._spawn(
                instance,
                gunicorn_command(port=port, workers=1, options=("--timeout", "15")),
                cwd=REPO_ROOT,
                env=self.app_env(instance),
            )
        for instance in self.instances:
            self.wait_for(instance, partial(listening, self.ports[instance]))

    def start_remote(self) -> None:
        """
        The second service, reaching the site through the proxy as any client
        would: the public keys, and the ingest endpoint for its measurements.
        It reads revocation markers from the primary it starts with; it does
        not follow a Sentinel failover (the cluster's failover tests leave it be).
        """
        port = self.ports.setdefault("remote", self._free_port())
        self.ports.setdefault("proxy", self._free_port())
        env = remote_env(
            site_url=self.url,
            ingest_key=self.ingest_key,
            redis_url=f"redis://127.0.0.1:{self.ports['redis-primary']}/0",
            extra={"DJANGO_LOG_LEVEL": "ERROR"},
        )
        remote = self._spawn(
            "remote",
            gunicorn_command(port=port, workers=1, options=("--timeout", "15"), app="remote.wsgi"),
            cwd=REPO_ROOT,
            env=env,
        )
        self.wait_for(remote.name, partial(listening, port))

    def manage(self, *args: str) -> str:
        """Run a management command against the cluster's database and Redis."""
        return subprocess.run(  # noqa: S603
            [sys.executable, "manage.py", *args],
            cwd=REPO_ROOT,
            env=self.app_env(),
            check=True,
            capture_output=True,
            text=True,
        ).stdout

    def create_user(self, username: str, password: str, *, admin: bool = False) -> None:
        create = "create_superuser" if admin else "create_user"
        code = f"User.objects.{create}({username!r}, password={password!r})"
        self.manage("shell", "-v", "0", "-c", f"from accounts.models import User; {code}")

    def user_id(self, username: str) -> int:
        code = f"print(User.objects.get(username={username!r}).pk)"
        return int(
            self.manage("shell", "-v", "0", "-c", f"from accounts.models import User; {code}")
        )

    def start_proxy(self, name: str = "proxy", instances: tuple[str, ...] | None = None) -> str:
        """nginx round-robin over ``instances`` (all by default); returns its URL."""
        port = self.ports.setdefault(name, self._free_port())
        upstreams = "\n".join(
            f"    server 127.0.0.1:{self.ports[name]};" for name in instances or self.instances
        )
        remote = (
            f"""
    location /remote/ {{
      proxy_pass http://127.0.0.1:{self.ports["remote"]}/;
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $remote_addr;
    }}"""
            if "remote" in self.ports
            else ""
        )
        conf = self.workdir / f"{name}.conf"
        conf.write_text(
            f"""daemon off;
worker_processes 1;
pid {self.workdir}/{name}.pid;
error_log {self.workdir}/{name}-error.log warn;
events {{ worker_connections 256; }}
http {{
  access_log off;
  client_body_temp_path {self.workdir}/{name}-body;
  proxy_temp_path {self.workdir}/{name}-proxy;
  fastcgi_temp_path {self.workdir}/{name}-fastcgi;
  uwsgi_temp_path {self.workdir}/{name}-uwsgi;
  scgi_temp_path {self.workdir}/{name}-scgi;
  upstream site {{
{upstreams}
  }}
  server {{
    listen 127.0.0.1:{port};
    location / {{
      proxy_pass http://site;
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $remote_addr;
    }}{remote}
  }}
}}
"""
        )
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        proxy = self._spawn(name, [nginx, "-c", str(conf), "-p", str(self.workdir)])
        self.wait_for(proxy.name, partial(listening, port))
        return f"http://127.0.0.1:{port}"

    # ------------------------------------------------------------ all of it
    def start(self) -> Cluster:
        try:
            self.start_postgres()
            self.start_redis()
            self.start_apps()
            self.start_remote()
            self.start_proxy()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        for name in reversed(list(self.processes)):
            self.processes.pop(name).stop()
        shutil.rmtree(self.workdir, ignore_errors=True)


def main() -> None:
    cluster = Cluster().start()
    names = ", ".join(f"{name} {cluster.instance_url(name)}" for name in cluster.instances)
    print(f"Cluster up: {cluster.url} (instances: {names})")  # noqa: T201
    print(f"Second service: {cluster.remote_url}/api/jwt/stateless/me/")  # noqa: T201
    print(f"PostgreSQL: {cluster.database_url}; Sentinels: {cluster.sentinels}", flush=True)  # noqa: T201
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    try:
        while not stopping:
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        cluster.stop()
        print("Cluster stopped.")  # noqa: T201


if __name__ == "__main__":
    main()


def _can_connect(psycopg: Any, url: str) -> bool:
    psycopg.connect(url).close()
    return True


def _sentinel_sees_others(port: int) -> bool:
    master = Redis(port=port).sentinel_master(SERVICE)
    return isinstance(master, dict) and master["num-other-sentinels"] == 2
