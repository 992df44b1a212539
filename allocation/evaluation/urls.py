"""The yearly evaluation under /allocation/utvardering/ (included by allocation.urls)."""

from django.urls import path

from allocation.evaluation import views

urlpatterns = [
    path("", views.evaluation_index, name="evaluation"),
    path("<int:year>/", views.evaluation_year, name="evaluation-year"),
    path("<int:year>/text/", views.evaluation_text, name="evaluation-text"),
]
