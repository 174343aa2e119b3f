from django.urls import path

from venues import views

urlpatterns = [
    path("", views.home, name="home"),
    path("tenants/switch/", views.switch_tenant, name="tenant-switch"),
]
