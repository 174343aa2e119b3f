from django.urls import path

from ingest import views

urlpatterns = [
    path("videos/", views.jobs_page, name="jobs-page"),
    path("videos/queue/", views.jobs_queue, name="jobs-queue"),
    path("videos/new/", views.jobs_create, name="jobs-create"),
    path("videos/<int:job_id>/", views.job_page, name="job-page"),
    path("videos/<int:job_id>/cancel/", views.job_cancel, name="job-cancel-form"),
    path("videos/<int:job_id>/retry/", views.job_retry, name="job-retry-form"),
]
