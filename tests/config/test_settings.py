"""The production shape of the settings, read in a fresh interpreter per case."""

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from accounts import keys
from tests.helpers import PASSWORD

PRODUCTION_ENV = {
    "DJANGO_SECURE": "1",
    "DJANGO_SECRET_KEY": "a-production-secret-key-that-is-long-and-random-0123456789",
    "JWT_SIGNING_KEY": "a-production-jwt-signing-key-that-is-long-and-random-0123456789",
}
HS256 = {"JWT_ALGORITHM": "HS256"}


@pytest.fixture(autouse=True)
def production_keys(keys_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """JWT_KEYS_DIR as a deployment has it: one key, made by `jwt_rotate_keys`."""
    keys.signing_key_rotate()
    monkeypatch.setitem(PRODUCTION_ENV, "JWT_KEYS_DIR", str(keys_dir))
    return keys_dir


def read_settings(env: dict[str, str], *names: str) -> dict:
    code = (
        "import json; import config.settings as settings; "
        f"print(json.dumps({{n: str(getattr(settings, n)) for n in {list(names)!r}}}))"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "JWT_"))}
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code],
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_production_cookies_are_secure_and_host_prefixed() -> None:
    values = read_settings(
        PRODUCTION_ENV,
        "DEBUG",
        "SESSION_COOKIE_SECURE",
        "SESSION_COOKIE_NAME",
        "CSRF_COOKIE_SECURE",
        "CSRF_COOKIE_NAME",
        "ACCOUNTS_JWT_COOKIE_SECURE",
        "ACCOUNTS_JWT_ACCESS_COOKIE_NAME",
    )

    assert values == {
        "DEBUG": "False",
        "SESSION_COOKIE_SECURE": "True",
        "SESSION_COOKIE_NAME": "__Host-sessionid",
        "CSRF_COOKIE_SECURE": "True",
        "CSRF_COOKIE_NAME": "__Host-csrftoken",
        "ACCOUNTS_JWT_COOKIE_SECURE": "True",
        "ACCOUNTS_JWT_ACCESS_COOKIE_NAME": "__Host-jwt-access",
    }


def test_development_cookies_are_httponly_lax_without_secure() -> None:
    values = read_settings(
        {}, "DEBUG", "SESSION_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY", "SESSION_COOKIE_SAMESITE"
    )

    assert values == {
        "DEBUG": "True",
        "SESSION_COOKIE_SECURE": "False",
        "SESSION_COOKIE_HTTPONLY": "True",
        "SESSION_COOKIE_SAMESITE": "Lax",
    }


@pytest.mark.parametrize(
    ("algorithm", "missing"),
    [({}, "DJANGO_SECRET_KEY"), ({}, "JWT_KEYS_DIR"), (HS256, "JWT_SIGNING_KEY")],
)
def test_production_refuses_to_start_without_its_secrets(algorithm, missing: str) -> None:
    env = {key: value for key, value in {**PRODUCTION_ENV, **algorithm}.items() if key != missing}
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "JWT_"))}

    result = subprocess.run(
        [sys.executable, "-c", "import config.settings"],
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode != 0
    assert f"Set the {missing} environment variable" in result.stderr


def test_database_url_switches_to_postgresql() -> None:
    values = read_settings({"DATABASE_URL": "postgres://u:p@db.internal:5432/site"}, "DATABASES")

    assert "django.db.backends.postgresql" in values["DATABASES"]
    assert "'NAME': 'site'" in values["DATABASES"]


def run_django(env: dict[str, str], code: str = "import django; django.setup()"):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "JWT_"))}
    return subprocess.run(  # noqa: S603
        [sys.executable, "-c", code],
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"DJANGO_DEBUG": "1"}, "DEBUG is on"),
        ({**HS256, "JWT_SIGNING_KEY": "short"}, "JWT_SIGNING_KEY is weak"),
        ({**HS256, "JWT_SIGNING_KEY": "a" * 64}, "JWT_SIGNING_KEY is weak"),
        (
            {**HS256, "JWT_SIGNING_KEY": PRODUCTION_ENV["DJANGO_SECRET_KEY"]},
            "equals DJANGO_SECRET_KEY",
        ),
    ],
)
def test_production_refuses_to_start_with_unsafe_settings(override, message) -> None:
    result = run_django({**PRODUCTION_ENV, **override})

    assert result.returncode != 0
    assert "Refusing to start" in result.stderr
    assert message in result.stderr


@pytest.mark.parametrize("algorithm", [{}, HS256], ids=["key pair", "HS256"])
def test_production_starts_with_sound_settings(algorithm) -> None:
    result = run_django({**PRODUCTION_ENV, **algorithm})

    assert result.returncode == 0, result.stderr


def test_production_refuses_to_start_with_a_development_key_pair(tmp_path, settings) -> None:
    settings.ACCOUNTS_JWT_KEYS_DIR = tmp_path / "made-on-first-run"
    development_kid = keys.key_set().signing_kid

    result = run_django({**PRODUCTION_ENV, "JWT_KEYS_DIR": str(tmp_path / "made-on-first-run")})

    assert result.returncode != 0
    assert f"holds development keys ({development_kid})" in result.stderr


def test_production_deploy_check_fails_until_the_first_key_is_made(tmp_path) -> None:
    """The command that makes the first key must start where the checks refuse to."""
    env = {**PRODUCTION_ENV, "JWT_KEYS_DIR": str(tmp_path / "empty")}
    check = "import django; django.setup(); from django.core.management import call_command; "

    before = run_django(env, check + "call_command('check', deploy=True)")
    made = run_django(env, check + "call_command('jwt_rotate_keys', initial=True)")
    after = run_django(env, check + "call_command('check', deploy=True)")

    assert before.returncode != 0
    assert "No JWT signing key" in before.stderr
    assert "jwt_rotate_keys --initial" in before.stderr
    assert made.returncode == 0, made.stderr
    assert after.returncode == 0, after.stderr


@pytest.mark.parametrize("ssl_redirect", ["1", "0"])
def test_deploy_check_is_clean_with_production_settings(ssl_redirect: str) -> None:
    """Behind a TLS proxy (redirect on) and as `make serve` runs it (off, on loopback)."""
    code = (
        "import django, sys; django.setup(); from django.core.management import call_command; "
        "call_command('check', deploy=True, fail_level='WARNING')"
    )

    env = {
        **PRODUCTION_ENV,
        "DJANGO_ALLOWED_HOSTS": "example.com",
        "DJANGO_SECURE_SSL_REDIRECT": ssl_redirect,
    }

    result = run_django(env, code)

    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("secure", [{}, PRODUCTION_ENV], ids=["development", "production"])
@pytest.mark.parametrize(
    "database_url", ["sqlite:////tmp/site.sqlite3", "postgres://u:p@db.internal:5432/site"]
)
def test_database_connections_persist_and_are_health_checked(secure, database_url) -> None:
    values = read_settings({**secure, "DATABASE_URL": database_url}, "DATABASES")

    database = ast.literal_eval(values["DATABASES"])["default"]
    assert (database["CONN_MAX_AGE"], database["CONN_HEALTH_CHECKS"]) == (600, True)


@pytest.mark.parametrize(
    ("env", "max_age"),
    [
        ({"DATABASE_CONN_MAX_AGE": "30"}, 30),
        ({"DATABASE_URL": "postgres://u:p@db.internal:5432/site?conn_max_age=5"}, 5),
    ],
)
def test_connection_lifetime_comes_from_the_environment(env, max_age) -> None:
    values = read_settings(env, "DATABASES")

    assert ast.literal_eval(values["DATABASES"])["default"]["CONN_MAX_AGE"] == max_age


COOKIE_NAME_SETTINGS = [
    "SESSION_COOKIE_NAME",
    "CSRF_COOKIE_NAME",
    "ACCOUNTS_JWT_ACCESS_COOKIE_NAME",
    "ACCOUNTS_JWT_REFRESH_COOKIE_NAME",
    "ACCOUNTS_MESSAGES_COOKIE_NAME",
    "COMPARISON_PLAYGROUND_DEMO_COOKIE_NAME",
]


def _every_cookie_setting_flow(client: Client) -> list:
    """Requests that between them make the site set each of its cookies."""
    credentials = {"username": "alice", "password": PASSWORD}
    return [
        client.get(reverse("accounts:session-login")),
        client.post(reverse("accounts:session-login"), credentials),
        client.post(reverse("accounts:session-list"), {"end": "no-such-session"}),
        client.post(reverse("accounts:jwt-login"), credentials),
        client.post(reverse("accounts:jwt-end-others")),
        client.post(reverse("comparison:playground-jwt-login")),
    ]


@pytest.mark.django_db
def test_host_prefixed_cookies_every_cookie_set_in_production_carries_its_prefix(
    settings, user
) -> None:
    production = read_settings(PRODUCTION_ENV, *COOKIE_NAME_SETTINGS)
    for name, value in production.items():
        setattr(settings, name, value)
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    settings.ACCOUNTS_JWT_COOKIE_SECURE = True

    cookies = {
        name: morsel
        for response in _every_cookie_setting_flow(Client())
        for name, morsel in response.cookies.items()
    }

    assert set(cookies) == set(production.values())
    for name, morsel in cookies.items():
        assert name.startswith(("__Host-", "__Secure-")), name
        assert morsel["secure"], name
        if name.startswith("__Host-"):
            assert (morsel["path"], morsel["domain"]) == ("/", ""), name
