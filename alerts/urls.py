from django.urls import path

from alerts import views

urlpatterns = [
    path("alerts/", views.alerts_page, name="alerts-page"),
    path("venues/<int:venue_id>/alerts/check/", views.alert_check_form, name="alert-check-form"),
    path("alerts/settings/", views.alert_settings_page, name="alert-settings-page"),
    path("alerts/rules/<int:rule_id>/", views.alert_rule_form, name="alert-rule-form"),
    path(
        "alerts/recipients/<int:recipient_id>/remove/", views.alert_recipient_remove, name="alert-recipient-remove-form"
    ),
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
