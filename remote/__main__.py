"""The second service's ``manage.py``: ``python -m remote <command>``."""

import os
import sys

from django.core.management import execute_from_command_line

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "remote.settings")
    execute_from_command_line(sys.argv)
