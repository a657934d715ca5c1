"""The dashboard page in the Django admin (`/admin/dashboard/`, staff only through
`admin.site.admin_view`). The page is static HTML: the browser draws its charts with Chart.js
(Debian's libjs-chart.js, served as our static files: settings CHARTJS_DIR) from the JSON
endpoint `admin-dashboard`, polled every few seconds with the admin's session. When Chart.js is
not installed the page says so instead of drawing."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse

from socialapp.read.activity.selectors import DEFAULT_WINDOW, WINDOWS

CHARTJS = "vendor/chart.js/chart.min.js"
REFRESH_SECONDS = 5


def chartjs_available() -> bool:
    return finders.find(CHARTJS) is not None


def dashboard_page(request: HttpRequest) -> HttpResponse:
    window = request.GET.get("window", DEFAULT_WINDOW)
    return TemplateResponse(
        request,
        "admin/activity/dashboard.html",
        {
            **admin.site.each_context(request),
            "is_nav_sidebar_enabled": False,  # the charts take the width
            "title": "Dashboard",
            "windows": list(WINDOWS),
            "window": window if window in WINDOWS else DEFAULT_WINDOW,
            "data_url": reverse("admin-dashboard"),
            "chartjs": CHARTJS if chartjs_available() else None,
            "refresh_seconds": REFRESH_SECONDS,
        },
    )
