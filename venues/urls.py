from django.urls import path

from venues import views

urlpatterns = [
    path("", views.home, name="home"),
    path("venues/<int:venue_id>/", views.venue_detail, name="venue-page"),
    path("tenants/switch/", views.switch_tenant, name="tenant-switch"),
]
