from django.urls import path

from ingest import clip_views, sales_views, views

urlpatterns = [
    path("videos/", views.jobs_page, name="jobs-page"),
    path("videos/queue/", views.jobs_queue, name="jobs-queue"),
    path("videos/new/", views.jobs_create, name="jobs-create"),
    path("videos/<int:job_id>/", views.job_page, name="job-page"),
    path("videos/<int:job_id>/cancel/", views.job_cancel, name="job-cancel-form"),
    path("videos/<int:job_id>/retry/", views.job_retry, name="job-retry-form"),
    path("videos/<int:job_id>/clip/", views.job_clip_request, name="job-clip-form"),
    path("videos/<int:job_id>/clip.mp4", clip_views.job_clip, name="job-clip"),
    path("venues/<int:venue_id>/sales/upload/", sales_views.sales_upload_page, name="sales-upload-page"),
]
