from django.urls import path

from imports import views

app_name = "imports"
urlpatterns = [
    path("imports/<int:batch_id>/errors.<str:fmt>", views.error_report, name="errors"),
]
