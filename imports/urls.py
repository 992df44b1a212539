from django.urls import path

from imports import views

app_name = "imports"
urlpatterns = [
    path("imports/<int:batch_id>/errors.<str:fmt>", views.error_report, name="errors"),
    path("organisation/karta/ladda-upp/", views.map_upload, name="map-upload"),
    path("organisation/kallor/prova/", views.source_preview, name="source-preview"),
]
