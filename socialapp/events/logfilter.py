"""Expected transient errors log one line, not a traceback per retry.

An outage of Elasticsearch, the broker or the database makes every retry of every process log;
with tracebacks, the one line that matters drowns. `OneLineTransientErrors` (installed on the
console handler by settings.LOGGING) turns a WARNING-or-lower record that carries an exception
the pipeline classifies as transient (socialapp.events.projector.classify_error), or a broker or
socket connection error, into one line: the message plus `(ExceptionType: text)`. Errors (level
ERROR and above) and unexpected exceptions keep their traceback.
"""

from __future__ import annotations

import logging


def _expected(exc: BaseException) -> bool:
    from socialapp.events.projector import TRANSIENT, classify_error

    if isinstance(exc, ConnectionError | TimeoutError):
        return True
    try:
        from amqp.exceptions import ConnectionError as AMQPConnectionError
        from kombu.exceptions import OperationalError as KombuOperationalError

        if isinstance(exc, AMQPConnectionError | KombuOperationalError):
            return True
    except ImportError:  # pragma: no cover
        pass
    try:
        return classify_error(exc) == TRANSIENT
    except Exception:  # Django not configured (a bare tool): leave the record alone
        return False


class OneLineTransientErrors(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno <= logging.WARNING and record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            if _expected(exc):
                text = " ".join(str(exc).split())[:300]
                record.msg = f"{record.getMessage()} ({type(exc).__name__}: {text})"
                record.args = None
                record.exc_info = None
                record.exc_text = None
        return True
