"""A write that finds the database locked answers 503 with a clear message instead of a 500.

On the embedded SQLite setup one writer holds the whole database; a web write waits for it up to
the busy timeout (settings: OPTIONS "timeout"), and only if the lock outlasts that does SQLite give
up with "database is locked". That is a temporary state, not a server fault: the client is told
that nothing was saved and when to try again.
"""

import logging

from django.db import OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse

logger = logging.getLogger(__name__)

BUSY = (
    "The database is busy with another long write (for example a large import), so nothing was saved. "
    "Please try again in a moment."
)
RETRY_AFTER_S = 5


class DatabaseBusyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not (isinstance(exception, OperationalError) and "database is locked" in str(exception)):
            return None
        logger.warning("503 for %s %s: %s", request.method, request.path, exception)
        if request.path.startswith("/api/") or "json" in request.headers.get("Accept", ""):
            response = JsonResponse({"detail": BUSY}, status=503)
        else:
            response = HttpResponse(BUSY, status=503, content_type="text/plain; charset=utf-8")
        response["Retry-After"] = str(RETRY_AFTER_S)
        return response
