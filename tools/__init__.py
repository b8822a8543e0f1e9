"""
What is not the site: the private Redis, the cluster, the benchmark and the
soak. Kept out of the packages that serve requests and out of the wheel
(pyproject.toml); run from the repository, where ``manage.py`` and ``python -m``
find it.
"""
