"""WSGI entry point: `flask --app wsgi ...` and `gunicorn wsgi:app`."""

from partybuild import create_app

app = create_app()
