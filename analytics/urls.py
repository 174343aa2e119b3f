from django.urls import path

from analytics import views

urlpatterns = [
    path("venues/today/", views.venues_today, name="venues-today"),
    path("venues/<int:venue_id>/", views.venue_dashboard, name="venue-page"),
    path("venues/<int:venue_id>/panels/<slug:name>/", views.venue_panel, name="venue-panel"),
    path("venues/<int:venue_id>/report/", views.venue_report, name="venue-report"),
    path("map/", views.venue_map, name="venue-map"),
    path("benchmarks/", views.venue_benchmarks, name="venue-benchmarks"),
    path("glossary/", views.glossary, name="glossary"),
    path("videos/queue/stats/", views.jobs_queue_stats, name="jobs-queue-stats"),
    path("map/venues.geojson", views.venue_map_geojson, name="venue-map-geojson"),
]
