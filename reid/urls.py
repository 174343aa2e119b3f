from django.urls import path

from reid import views

urlpatterns = [
    path("visitors/", views.visitors_page, name="visitors-page"),
    path("visitors/<int:visitor_id>/", views.visitor_page, name="visitor-page"),
    path("visitors/<int:visitor_id>/staff/", views.visitor_staff, name="visitor-staff-form"),
    path("visitors/<int:visitor_id>/erase/", views.visitor_erase_view, name="visitor-erase-form"),
]
