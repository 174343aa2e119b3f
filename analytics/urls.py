from django.urls import path

from analytics import views

urlpatterns = [
    path("venues/today/", views.venues_today, name="venues-today"),
    path("venues/<int:venue_id>/", views.venue_dashboard, name="venue-page"),
    path("venues/<int:venue_id>/panels/<slug:name>/", views.venue_panel, name="venue-panel"),
]
