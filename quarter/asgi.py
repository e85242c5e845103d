"""ASGI entry point; WSGI under granian is the production path (see DESIGN.md)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "quarter.settings")
application = get_asgi_application()
