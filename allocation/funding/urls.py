from django.urls import path

from allocation.funding import views

app_name = "funding"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("diagram.png", views.chart, name="chart"),
    path("kallor/<int:source_id>/", views.source_detail, name="source"),
    path("anknytningar/", views.extensions, name="extensions"),
]
