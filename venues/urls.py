from django.urls import path

from venues import camera_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("venues/new/", views.venue_create, name="venue-create"),
    path("venues/<int:venue_id>/edit/", views.venue_edit, name="venue-edit"),
    path(
        "benchmarks/references/<slug:venue_type>/",
        views.benchmark_references_edit,
        name="benchmark-references-form",
    ),
    path("venues/<int:venue_id>/cameras/new/", camera_views.camera_create, name="camera-create"),
    path("cameras/<int:camera_id>/edit/", camera_views.camera_edit, name="camera-edit"),
    path("cameras/<int:camera_id>/setup/", camera_views.camera_setup, name="camera-setup"),
    path("cameras/<int:camera_id>/snapshot.jpg", camera_views.camera_snapshot, name="camera-snapshot"),
]
