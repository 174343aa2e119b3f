from django.urls import path

from alerts import views

urlpatterns = [path("alerts/unsubscribe/<str:token>/", views.unsubscribe, name="alerts-unsubscribe")]
