"""
The second service: a process of its own that answers two lanes of the site's
API (``remote_stateless``, ``remote_denylist`` in ``accounts.lanes``) while
holding no secret of the site's and no access to its database.

It verifies the site's access tokens with the public keys the site publishes
at ``/.well-known/jwks.json``, and, when given read access to the revocation
store, checks the site's per-user revocation marker. Its requests are
measured here and sent to the site in batches. It imports nothing of the
site's: what the two share is a contract (the JSON shape of "who am I", the
refusal codes, the marker's key), which the tests hold both sides to.

    python -m remote runserver 127.0.0.1:8001    # or: gunicorn remote.wsgi
"""
