"""WSGI entry point, served by granian in production (`quarter serve`)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "quarter.settings")
application = get_wsgi_application()
