from django.urls import path

from allocation.publications import views

app_name = "statistics"
urlpatterns = [
    path("", views.publication_list, name="list"),
    path("publicera/", views.publish, name="publish"),
    path("<str:month>/", views.overview, name="overview"),
    path("<str:month>/v<int:version>/<str:name>", views.publication_file, name="file"),
    path("<str:month>/<str:code>/", views.administration_page, name="administration"),
]
