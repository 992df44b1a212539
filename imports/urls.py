from django.contrib.auth.decorators import login_required
from django.urls import path

from imports import batch_views, views

app_name = "imports"
urlpatterns = [
    path("import/", login_required(batch_views.batch_list), name="batches"),
    path("import/ladda-upp/", login_required(batch_views.upload), name="upload"),
    path("import/<int:batch_id>/", login_required(batch_views.batch_detail), name="batch"),
    path("imports/<int:batch_id>/errors.<str:fmt>", views.error_report, name="errors"),
    path("organisation/karta/ladda-upp/", views.map_upload, name="map-upload"),
    path("organisation/kallor/prova/", views.source_preview, name="source-preview"),
    path("organisation/kallor/<int:source_id>/profil/", views.source_profile_form, name="source-profile"),
    path(
        "organisation/kallor/<int:source_id>/profil/forhandsvisning/",
        views.source_profile_live,
        name="source-profile-live",
    ),
]
