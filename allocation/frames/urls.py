from django.urls import path

from allocation.frames import views

app_name = "frames"
urlpatterns = [
    path("", views.comparison, name="comparison"),
    path("ny/", views.adjustment_create, name="adjustment-create"),
    path("<int:adjustment_id>/", views.adjustment_detail, name="adjustment"),
]
