from django.urls import path

from allocation.forecast import views

urlpatterns = [
    path("", views.forecast_default, name="forecast-default"),
    path("<int:year>/", views.forecast_page, name="forecast"),
    path("<int:year>/antaganden/", views.forecast_assumption, name="forecast-assumption"),
]
