from django.urls import path

from alerts import views

urlpatterns = [
    path("alerts/", views.alerts_page, name="alerts-page"),
    *(
        path(
            f"alerts/<int:alert_id>/{change}/",
            views.alert_state_change,
            {"change": change},
            name=f"alert-{change}-form",
        )
        for change in ("acknowledge", "resolve")
    ),
    path("alerts/unsubscribe/<str:token>/", views.unsubscribe, name="alerts-unsubscribe"),
]
