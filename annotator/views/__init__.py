"""HTML pages: server-rendered, with htmx partials for polling and small updates."""

from django.http import HttpRequest as _HttpRequest
from django_htmx.middleware import HtmxDetails


class HtmxHttpRequest(_HttpRequest):
    htmx: HtmxDetails
