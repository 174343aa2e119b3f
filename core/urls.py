from django.urls import path

from core import views

urlpatterns = [
    path("tenants/switch/", views.switch_tenant, name="tenant-switch"),
    path("api-keys/", views.api_keys_page, name="api-keys-page"),
    path("api-keys/<int:key_id>/revoke/", views.api_key_revoke_view, name="api-key-revoke-form"),
]
