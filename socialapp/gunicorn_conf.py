"""gunicorn's settings for every web process: `gunicorn -c python:socialapp.gunicorn_conf ...`
(Procfile, `manage.py projections procfile`, docker/, devkit/conformance.py, tests/contract).

`limit_request_line`: gunicorn refuses a longer request line (method, URL, protocol) with 414 and
an HTML page, before the application runs. Its default, 4094 bytes, is shorter than a request
our API's schema calls valid can be (`q` holds 512 characters, up to 12 bytes each once
percent-encoded), so we take gunicorn's maximum, 8190, and the OpenAPI document bounds every query
parameter so that a schema-valid request line fits (tests/contract/test_request_line.py checks
every operation's worst case against this value; docs/api.md, "Errors"). nginx in the split
deployment allows 8 KB lines too (docker/nginx.conf).
"""

import os

#: Bytes of request line gunicorn accepts (its maximum is 8190; 0 would mean unlimited).
REQUEST_LINE_LIMIT = int(os.environ.get("GUNICORN_LIMIT_REQUEST_LINE", "8190"))

limit_request_line = REQUEST_LINE_LIMIT
