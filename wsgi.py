"""WSGI entry point: `flask --app wsgi ...` and `gunicorn wsgi:app`."""

import os

from partybuild import create_app

# Under the flask command (it sets FLASK_RUN_FROM_CLI before loading the app) the set-up
# waits until a command runs or a request comes in, so `flask --app wsgi --help` lists
# the commands without loading SQLAlchemy and the models. gunicorn gets a set-up app.
app = create_app(defer_setup=os.environ.get("FLASK_RUN_FROM_CLI") == "true")
