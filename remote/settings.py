"""
Settings of the second service, read from the environment through one
django-environ reader, with development defaults that point at ``make run``'s
site on 127.0.0.1:8000.

What it holds is the point: the site's address, the algorithm, issuer,
audience and leeway it expects, and, optionally, a Redis URL with the key
prefix of the site's revocation markers (read only) and the key that lets it
add measurements to the site's dashboard. No signing key, no database, no
session.
"""

import secrets
from datetime import timedelta

import environ
from django.core.exceptions import ImproperlyConfigured

env = environ.Env()

# ------------------------------------------------------------------ core
DEBUG = env.bool("REMOTE_DEBUG", default=False)
# Django wants one; nothing here is signed with it (no sessions, no CSRF, no
# messages), so a fresh random value per process holds nothing worth taking.
SECRET_KEY = secrets.token_urlsafe(50)
ALLOWED_HOSTS = env.list("REMOTE_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
ROOT_URLCONF = "remote.urls"
WSGI_APPLICATION = "remote.wsgi.application"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    # SimpleJWT's TokenUser and DRF import the auth models; no table is ever read.
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "rest_framework",
]
MIDDLEWARE = [
    "remote.measure.SampleMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
]
# None at all: this service cannot read the site's users, tokens or anything else.
DATABASES: dict = {}

# ------------------------------------------------------------------ the site
REMOTE_SITE_URL = env("REMOTE_SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
REMOTE_JWKS_URL = env("REMOTE_JWKS_URL", default=f"{REMOTE_SITE_URL}/.well-known/jwks.json")
# The key set is kept this long (the site's own Cache-Control max-age), then fetched again.
REMOTE_JWKS_LIFESPAN_SECONDS = env.float("REMOTE_JWKS_LIFESPAN_SECONDS", default=60)
# A kid missing from the cached set refetches it, at most once per this many seconds
# (PyJWT's cooldown): a flood of made-up kids is answered from memory.
REMOTE_JWKS_REFETCH_SECONDS = env.float("REMOTE_JWKS_REFETCH_SECONDS", default=10)
REMOTE_JWKS_TIMEOUT_SECONDS = env.float("REMOTE_JWKS_TIMEOUT_SECONDS", default=2)

# ------------------------------------------------------------------ JWT
jwt_algorithm = env("JWT_ALGORITHM", default="EdDSA")
if jwt_algorithm.startswith("HS"):
    raise ImproperlyConfigured(
        f"JWT_ALGORITHM={jwt_algorithm} is a shared secret, which this service never holds: "
        "let the site sign with a key pair (EdDSA, ES256 or RS256) and give the same name here."
    )

SIMPLE_JWT = {
    "ALGORITHM": jwt_algorithm,
    # Public keys only, from the site's JWKS; this service mints nothing.
    "SIGNING_KEY": None,
    "VERIFYING_KEY": None,
    "JWK_URL": REMOTE_JWKS_URL,
    "ISSUER": env("JWT_ISSUER", default="sessions-vs-jwt"),
    "AUDIENCE": env("JWT_AUDIENCE", default="sessions-vs-jwt"),
    "LEEWAY": timedelta(seconds=env.int("JWT_LEEWAY_SECONDS", default=5)),
    "AUTH_HEADER_TYPES": ("Bearer",),
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "remote.views.exception_handler",
    "UNAUTHENTICATED_USER": None,
}

# ------------------------------------------------------------------ revocation store
# With a URL, the denylist lane is served: one GET of the marker the site writes,
# under the site's key prefix. Give this service a Redis user that may only GET.
REMOTE_REVOCATION_REDIS_URL = env("REMOTE_REVOCATION_REDIS_URL", default="")
redis_timeout_seconds = env.float("REDIS_TIMEOUT_SECONDS", default=0.5)

CACHES: dict = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
if REMOTE_REVOCATION_REDIS_URL:
    CACHES["revocation"] = {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": REMOTE_REVOCATION_REDIS_URL,
        "KEY_PREFIX": env("REMOTE_REVOCATION_KEY_PREFIX", default="svj:revocation"),
        "OPTIONS": {
            "CLIENT_CLASS": "django_redis.client.DefaultClient",
            "SERIALIZER": "django_redis.serializers.json.JSONSerializer",
            "SOCKET_CONNECT_TIMEOUT": redis_timeout_seconds,
            "SOCKET_TIMEOUT": redis_timeout_seconds,
            # Counts each round trip for the measurements, as the site does.
            "CONNECTION_POOL_CLASS": "remote.measure.CountingConnectionPool",
        },
    }

# ------------------------------------------------------------------ measurement
# Samples go to the site's ingest endpoint with this key; without one nothing is sent.
REMOTE_INGEST_URL = env("REMOTE_INGEST_URL", default=f"{REMOTE_SITE_URL}/comparison/ingest/")
REMOTE_INGEST_KEY = env("COMPARISON_INGEST_KEY", default="")
REMOTE_SHIP_SECONDS = env.float("REMOTE_SHIP_SECONDS", default=1.0)
# The site takes at most this many samples per request (COMPARISON_INGEST_MAX_BATCH).
REMOTE_SHIP_BATCH = env.int("REMOTE_SHIP_BATCH", default=500)
REMOTE_BUFFER_LIMIT = env.int("REMOTE_BUFFER_LIMIT", default=10_000)

# ------------------------------------------------------------------ the rest
USE_TZ = True
TIME_ZONE = "UTC"
USE_I18N = True
SECURE_CONTENT_TYPE_NOSNIFF = True

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
    # A refused token is an answer, measured and sent to the site, not an incident.
    "loggers": {"django.request": {"level": "ERROR"}},
}
