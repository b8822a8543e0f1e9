"""
Settings for the sessions-vs-jwt site.

One file, read from the environment through one django-environ reader. The
defaults are for development; ``DJANGO_SECURE=1`` switches on the production
shape (HTTPS-only cookies with ``__Host-`` names, HSTS, required secrets).
"""

import socket
from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from redis.backoff import NoBackoff
from redis.retry import Retry

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

# ------------------------------------------------------------------ core
# Lower-case names are inputs to this file, not settings of their own.
secure = env.bool("DJANGO_SECURE", default=False)
DEBUG = env.bool("DJANGO_DEBUG", default=not secure)

# JWTs are signed with a key pair unless JWT_ALGORITHM names HS256/384/512 (see "JWT" below).
jwt_algorithm = env("JWT_ALGORITHM", default="EdDSA")
jwt_symmetric = jwt_algorithm.startswith("HS")

if secure:
    SECRET_KEY = env("DJANGO_SECRET_KEY")
    jwt_signing_key = env("JWT_SIGNING_KEY") if jwt_symmetric else ""
else:
    SECRET_KEY = env("DJANGO_SECRET_KEY", default="django-insecure-development-only-secret-key")
    jwt_signing_key = env(
        "JWT_SIGNING_KEY",
        default="insecure-development-only-jwt-signing-key-0123456789abcdefghijklmn",
    )
# Production names the directory of its key pairs; development keeps one beside the code.
jwt_keys_dir = Path(
    env("JWT_KEYS_DIR")
    if secure and not jwt_symmetric
    else env("JWT_KEYS_DIR", default=str(BASE_DIR / ".jwt-keys"))
)

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# ------------------------------------------------------------------ apps
DJANGO_APPS = [
    # Django's admin, with the site that keeps the playground's accounts out.
    "config.apps.AdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]
THIRD_PARTY_APPS = [
    "axes",
    "csp",
    "rest_framework",
    "rest_framework_simplejwt",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
]
LOCAL_APPS = [
    "accounts",
    "comparison",
]
INSTALLED_APPS = DJANGO_APPS + THIRD_PARTY_APPS + LOCAL_APPS

# The comparison app measures every auth step (COMPARISON_MEASURE=0 takes it
# off the request path entirely: no probe, no middleware, no counting pool).
measure = env.bool("COMPARISON_MEASURE", default=True)

MIDDLEWARE = [
    *(["comparison.middleware.AuthCostMiddleware"] if measure else []),
    "accounts.middleware.PrivateCacheMiddleware",
    "config.middleware.StoreOutageMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    # Serves collected static files under gunicorn; runserver serves them itself.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "accounts.middleware.SessionAuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: turns a lockout noticed during login into a 429 page.
    "axes.middleware.AxesMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "comparison.context_processors.auth_receipt",
                "comparison.context_processors.navigation",
            ],
        },
    },
]

# ------------------------------------------------------------------ database
# SQLite by default; DATABASE_URL=postgres://… switches to PostgreSQL.
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
SQLITE_OPTIONS = {
    # IMMEDIATE makes concurrent writers queue for the lock instead of failing
    # half-way through a transaction ("database is locked").
    "transaction_mode": "IMMEDIATE",
    "timeout": 10,
    # Write-ahead logging: readers (the dashboard) never wait for a writer
    # (the sample recorder), and a commit appends to the log instead of
    # writing, syncing and deleting a journal file every time.
    "init_command": "PRAGMA journal_mode=WAL;",
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(SQLITE_OPTIONS)
    # A file, not :memory:, so that tests with real threads share one database.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / ".test-db.sqlite3")}
# Persistent connections, on every engine and in every mode: a connection per
# request made the session lane mostly a reconnect (and SQLite re-reads its
# schema on a new connection's first statement, inside the timed auth step).
# The health check drops a connection the server closed before it is reused.
# A ?conn_max_age= in DATABASE_URL wins over DATABASE_CONN_MAX_AGE.
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=600))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

# ------------------------------------------------------------------ redis
# One Redis server holds three caches, each on its own alias and key prefix:
# sessions (and the per-user session index), the JWT revocation markers, and
# everything else. Clearing "default" logs nobody out. Timeouts are short so a
# hung Redis cannot hold a request for much more than a second; values are
# JSON, never pickles, so write access to Redis does not become code execution.
REDIS_URL = env("REDIS_URL", default="redis://127.0.0.1:6379/0")
redis_timeout_seconds = env.float("REDIS_TIMEOUT_SECONDS", default=0.5)

# With REDIS_SENTINELS ("host:port,host:port,…") the primary of the service
# REDIS_SENTINEL_SERVICE is found through Sentinel and followed across
# failovers. Reads go to the primary too (not django-redis's SentinelClient,
# which reads from replicas): a session or a revocation marker read from a
# lagging replica could let a revoked user in.
redis_sentinels = env.list("REDIS_SENTINELS", default=[])
redis_sentinel_service = env("REDIS_SENTINEL_SERVICE", default="mymaster")


def redis_cache(key_prefix: str) -> dict:
    options = {
        "CLIENT_CLASS": "django_redis.client.DefaultClient",
        "SERIALIZER": "django_redis.serializers.json.JSONSerializer",
        "SOCKET_CONNECT_TIMEOUT": redis_timeout_seconds,
        "SOCKET_TIMEOUT": redis_timeout_seconds,
    }
    location = REDIS_URL
    if redis_sentinels:
        location = f"redis://{redis_sentinel_service}/0"
        options |= {
            "CONNECTION_FACTORY": "django_redis.pool.SentinelConnectionFactory",
            "CONNECTION_POOL_CLASS": "redis.sentinel.SentinelConnectionPool",
            "SENTINELS": [
                (host, int(port))
                for host, port in (sentinel.rsplit(":", 1) for sentinel in redis_sentinels)
            ],
            "SENTINEL_KWARGS": {
                "socket_connect_timeout": redis_timeout_seconds,
                "socket_timeout": redis_timeout_seconds,
                # redis-py retries each Sentinel three times with back-off by
                # default: 11 s before a request could answer 503.
                "retry": Retry(NoBackoff(), 0),
            },
        }
    if measure:
        # Counts each command round trip for the comparison app's receipts.
        options["CONNECTION_POOL_CLASS"] = (
            "comparison.probe.CountingSentinelConnectionPool"
            if redis_sentinels
            else "comparison.probe.CountingConnectionPool"
        )
    return {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": location,
        "KEY_PREFIX": key_prefix,
        "OPTIONS": options,
    }


CACHES = {
    "default": redis_cache("svj"),
    "sessions": redis_cache("svj:sessions"),
    "revocation": redis_cache("svj:revocation"),
}

# ------------------------------------------------------------------ auth
AUTH_USER_MODEL = "accounts.User"
# Cookie-stored messages: the JWT pages must not create server-side sessions.
MESSAGE_STORAGE = "accounts.messages.CookieStorage"
ACCOUNTS_MESSAGES_COOKIE_NAME = "__Host-messages" if secure else "messages"
LOGIN_URL = "accounts:session-login"
LOGIN_REDIRECT_URL = "accounts:session-home"
LOGOUT_REDIRECT_URL = "accounts:session-login"

AUTHENTICATION_BACKENDS = [
    # Refuses locked-out clients before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    # ModelBackend, recording where each password was right (accounts.lockout).
    "accounts.backends.PasswordBackend",
]

# Brute-force protection for every password form and the JWT token endpoint
# (django-axes' records, decided by accounts.lockout). Failures are counted per
# (username, address), per username and per address, each with its own limit:
# 5 lock the pair (a person's own typos), 20 the username from every address
# (guesses spread over many addresses), 50 the address over every username
# (one password tried on many accounts). The username and address limits skip
# a username at an address it has signed in from with its password in the
# last 30 days, so an attacker sharing that address cannot lock its people
# out. Failures expire AXES_COOLOFF_MINUTES after the last one; a success never
# forgives them. A locked-out client gets the same answer whatever it sends.
AXES_HANDLER = "accounts.lockout.LockoutHandler"
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
ACCOUNTS_LOCKOUT_USERNAME_FAILURE_LIMIT = env.int("LOCKOUT_USERNAME_FAILURE_LIMIT", default=20)
ACCOUNTS_LOCKOUT_ADDRESS_FAILURE_LIMIT = env.int("LOCKOUT_ADDRESS_FAILURE_LIMIT", default=50)
ACCOUNTS_LOCKOUT_KNOWN_ADDRESS_DAYS = env.int("LOCKOUT_KNOWN_ADDRESS_DAYS", default=30)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_RESET_ON_SUCCESS = False
# A refused attempt neither extends a lockout nor counts towards another one.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
AXES_CLIENT_IP_CALLABLE = "accounts.addresses.client_address"
AXES_VERBOSE = False

# The client's address (accounts.addresses): REMOTE_ADDR, unless the site runs
# behind TRUSTED_PROXY_COUNT reverse proxies that each append to the header
# CLIENT_ADDRESS_HEADER. Off by default: without proxies, that header is
# whatever the client chose to send.
ACCOUNTS_TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
ACCOUNTS_CLIENT_ADDRESS_HEADER = env("CLIENT_ADDRESS_HEADER", default="X-Forwarded-For")

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# ------------------------------------------------------------------ sessions
# Django's cache engine ("django.contrib.sessions.backends.cache"), letting a
# Redis outage surface as an error rather than as a logged-out user.
SESSION_ENGINE = "accounts.session_store"
SESSION_CACHE_ALIAS = "sessions"
SESSION_SERIALIZER = "django.contrib.sessions.serializers.JSONSerializer"
# Idle timeout: the Redis TTL of a session, pushed forward as the user is seen
# (at most once per ACCOUNTS_SESSION_ACTIVITY_RESOLUTION, see accounts.middleware).
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_TIMEOUT_SECONDS", default=30 * 60)
# Absolute timeout: no session outlives this, however active.
ACCOUNTS_SESSION_ABSOLUTE_TIMEOUT = env.int(
    "SESSION_ABSOLUTE_TIMEOUT_SECONDS", default=12 * 60 * 60
)
ACCOUNTS_SESSION_ACTIVITY_RESOLUTION = env.int("SESSION_ACTIVITY_RESOLUTION_SECONDS", default=60)
# The cookie lasts until the browser closes (OWASP's advice for session ids);
# the idle timeout is enforced by Redis alone. A browser that comes back after
# its session ran out still names it, so the login page can say why it ended.
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# __Host- cookies must be Secure, host-only and Path=/: the browser enforces it.
SESSION_COOKIE_SECURE = secure
SESSION_COOKIE_NAME = "__Host-sessionid" if secure else "sessionid"

# ------------------------------------------------------------------ JWT
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.LookupJWTAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "accounts.parsers.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
    ],
    "EXCEPTION_HANDLER": "accounts.api.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": None,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Sessions vs JWT API",
    "DESCRIPTION": "Token endpoints and one profile endpoint per verification lane.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(
        seconds=env.int("JWT_ACCESS_LIFETIME_SECONDS", default=5 * 60)
    ),
    "REFRESH_TOKEN_LIFETIME": timedelta(
        seconds=env.int("JWT_REFRESH_LIFETIME_SECONDS", default=24 * 60 * 60)
    ),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,
    # A key pair (accounts.keys), so that another service can verify tokens with the public
    # keys at /.well-known/jwks.json and hold nothing that could mint one. EdDSA (Ed25519),
    # chosen with `python -m tools.bench_algorithms` (README, "Signing keys"; medians against
    # HS256): the smallest tokens a key pair allows (393 B access token, RS256 649 B), signing
    # at 1.3x HS256 (ES256 1.6x, RS256 17x), 128-bit strength, and deterministic signatures
    # (no per-signature nonce to get wrong). RS256 verifies cheaper (1.3x against 2.2x) but
    # only at 112-bit strength: at 3072 bits it is 1.7x, with 826 B tokens. ES256 verifies no
    # differently from EdDSA within the noise. JWT_ALGORITHM=HS256 signs with the one shared
    # secret JWT_SIGNING_KEY instead, and publishes nothing.
    "ALGORITHM": jwt_algorithm,
    # The HMAC secret, for HS256/384/512 only; key pairs live in ACCOUNTS_JWT_KEYS_DIR.
    "SIGNING_KEY": jwt_signing_key,
    "ISSUER": env("JWT_ISSUER", default="sessions-vs-jwt"),
    "AUDIENCE": env("JWT_AUDIENCE", default="sessions-vs-jwt"),
    "LEEWAY": timedelta(seconds=env.int("JWT_LEEWAY_SECONDS", default=5)),
    "AUTH_HEADER_TYPES": ("Bearer",),
    "AUTH_TOKEN_CLASSES": ("accounts.tokens.AccessToken",),
    "TOKEN_OBTAIN_SERIALIZER": "accounts.serializers.TokenObtainPairSerializer",
    "TOKEN_REFRESH_SERIALIZER": "accounts.serializers.TokenRefreshSerializer",
    "TOKEN_VERIFY_SERIALIZER": "accounts.serializers.TokenVerifySerializer",
    "TOKEN_BLACKLIST_SERIALIZER": "accounts.serializers.TokenBlacklistSerializer",
}

# A spent refresh token presented again this soon after it was spent is two
# tabs refreshing at once, not theft: it is refused without ending its family.
ACCOUNTS_REFRESH_REUSE_GRACE_SECONDS = env.int("REFRESH_REUSE_GRACE_SECONDS", default=10)

# Cookies of the JWT pages under /jwt/. The refresh cookie is sent only to the
# token endpoints of those pages, never with an ordinary page request.
ACCOUNTS_JWT_ACCESS_COOKIE_NAME = "__Host-jwt-access" if secure else "jwt-access"
ACCOUNTS_JWT_REFRESH_COOKIE_NAME = "__Secure-jwt-refresh" if secure else "jwt-refresh"
ACCOUNTS_JWT_REFRESH_COOKIE_PATH = "/jwt/auth/"
ACCOUNTS_JWT_COOKIE_SECURE = secure

# The signing keys (accounts.keys): PEM files and keys.json, never in the repository. Rotated
# by `manage.py jwt_rotate_keys` or the admin's "Signing keys" page; each process notices a
# rotation by itself. With DJANGO_SECURE=1, JWT_KEYS_DIR is required and must hold a key
# made by `jwt_rotate_keys`; otherwise a development key is generated there on first use.
ACCOUNTS_JWT_KEYS_DIR = jwt_keys_dir
ACCOUNTS_JWT_DEVELOPMENT_KEYS = not secure

# Where the denylist lane's per-user "revoked before" markers live.
ACCOUNTS_REVOCATION_CACHE_ALIAS = "revocation"
# With DJANGO_SECURE=1, refuse to start on settings that would undo the site's guarantees.
ACCOUNTS_PRODUCTION_CHECKS = secure
# Throwaway accounts the playground makes at its logins: at most this many per
# address (IPv6: per /64) per hour, and this many in existence at once.
ACCOUNTS_DEMO_ACCOUNTS_PER_ADDRESS_PER_HOUR = env.int(
    "DEMO_ACCOUNTS_PER_ADDRESS_PER_HOUR", default=20
)
ACCOUNTS_DEMO_ACCOUNTS_LIVE_LIMIT = env.int("DEMO_ACCOUNTS_LIVE_LIMIT", default=500)
# Who watches each auth step (accounts.observers); empty for no one.
ACCOUNTS_AUTH_OBSERVER = "comparison.probe.observe" if measure else ""

# ------------------------------------------------------------------ comparison
# Names this app instance in every recorded sample, so figures can be split by instance.
COMPARISON_INSTANCE_NAME = env("INSTANCE_NAME", default=socket.gethostname())
# What this process's requests are (comparison.sources): the benchmark and the
# soak start the site with theirs, so their traffic never counts as live.
COMPARISON_SAMPLE_SOURCE = env("COMPARISON_SAMPLE_SOURCE", default="live")
# Every authenticated request is measured; recording stores the measurements.
COMPARISON_RECORDING = env.bool("COMPARISON_RECORDING", default=True)
# Requests only queue samples (at most COMPARISON_BUFFER_LIMIT); a writer thread
# per process stores them every FLUSH_SECONDS, or once FLUSH_SIZE are queued,
# and trims old rows every TRIM_SECONDS. Tests switch the thread off and flush.
COMPARISON_BACKGROUND_WRITER = True
COMPARISON_FLUSH_SIZE = env.int("COMPARISON_FLUSH_SIZE", default=1000)
COMPARISON_FLUSH_SECONDS = env.float("COMPARISON_FLUSH_SECONDS", default=2.0)
COMPARISON_TRIM_SECONDS = env.float("COMPARISON_TRIM_SECONDS", default=60.0)
COMPARISON_BUFFER_LIMIT = env.int("COMPARISON_BUFFER_LIMIT", default=50_000)
COMPARISON_RAW_SAMPLES_KEPT = env.int("COMPARISON_RAW_SAMPLES_KEPT", default=100_000)
COMPARISON_RETENTION_DAYS = env.int("COMPARISON_RETENTION_DAYS", default=14)
# The key the second service (remote/) sends its measurements with; empty turns ingest off.
COMPARISON_INGEST_KEY = env("COMPARISON_INGEST_KEY", default="")
COMPARISON_INGEST_MAX_BATCH = env.int("COMPARISON_INGEST_MAX_BATCH", default=500)
# Where the second service answers, for the role drill; empty leaves its lanes out.
COMPARISON_REMOTE_URL = env("REMOTE_URL", default="")
# Lifetime of every credential the playground issues (session, access and refresh
# tokens), short enough to watch expire; its demo accounts are deleted once theirs have.
COMPARISON_PLAYGROUND_CREDENTIAL_SECONDS = env.int("PLAYGROUND_CREDENTIAL_SECONDS", default=30)
COMPARISON_PLAYGROUND_DEMO_COOKIE_NAME = "__Host-playground-demo" if secure else "playground-demo"

# ------------------------------------------------------------------ static files
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if secure
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# ------------------------------------------------------------------ i18n
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# ------------------------------------------------------------------ security
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SECURE = secure
CSRF_COOKIE_NAME = "__Host-csrftoken" if secure else "csrftoken"
CSRF_FAILURE_VIEW = "config.views.csrf_failure"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp): scripts, styles, images and requests come
# from this site only, and no inline script or style runs at all (the templates
# load static/js and static/css; the admin needs nothing inline either).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "object-src": [NONE],
    },
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

if secure:
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    if not SECURE_SSL_REDIRECT:
        # Switched off on purpose: TLS ends at the reverse proxy, which redirects
        # plain HTTP itself (or, for `make serve`, there is no TLS on loopback).
        SILENCED_SYSTEM_CHECKS = ["security.W008"]
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# ------------------------------------------------------------------ logging
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "level": env("DJANGO_LOG_LEVEL", default="INFO"),
        },
    },
    "root": {"handlers": ["console"], "level": "INFO"},
}
