from django.urls import path

from cases import organisation_views as views

app_name = "organisation"
urlpatterns = [
    path("forvaltningar/", views.administration_list, name="administrations"),
    path("forvaltningar/<str:code>/", views.administration_edit, name="administration"),
    path("kallor/", views.source_list, name="sources"),
    path("kallor/<int:source_id>/", views.source_edit, name="source"),
    path("karta/", views.map_in_force, name="map"),
    path("karta/skillnad/", views.map_diff, name="map-diff"),
    path("karta/export.<str:fmt>", views.map_export, name="map-export"),
    path("karta/utkast/<int:version_id>/gor-verklig/", views.map_draft_apply, name="map-draft-apply"),
    path("karta/gruppering/<str:code>/", views.grouping_detail, name="grouping"),
]
