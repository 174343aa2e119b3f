from django.contrib import admin
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from config.health import healthz, readyz
from core.account_views import PasswordResetView


def favicon(request):
    """Browsers ask for /favicon.ico on pages that name no icon (the admin, JSON answers): ours."""
    return redirect(static("venues/favicon.svg"))  # resolved per request: hashed names exist after collectstatic


urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/password_reset/", PasswordResetView.as_view(), name="password_reset"),  # rate-limited
    path("accounts/", include("django.contrib.auth.urls")),
    path("api/v1/", include("config.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("favicon.ico", favicon, name="favicon"),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("", include("core.urls")),
    path("", include("venues.urls")),
    path("", include("analytics.urls")),
    path("", include("reid.urls")),
    path("", include("alerts.urls")),
    path("", include("ingest.urls")),
]
handler404 = "core.api_errors.not_found"
