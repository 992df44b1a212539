from django.urls import path

from cases import api as cases_api
from imports import api as imports_api

app_name = "api"
urlpatterns = [
    path("administrations/", cases_api.AdministrationListApi.as_view(), name="administration-list"),
    path("groupings/", cases_api.GroupingListApi.as_view(), name="grouping-list"),
    path("grouping-map/", cases_api.GroupingMapApi.as_view(), name="grouping-map"),
    path("channels/", cases_api.ChannelListApi.as_view(), name="channel-list"),
    path("imports/", imports_api.ImportListApi.as_view(), name="import-list"),
    path("imports/upload/", imports_api.ImportUploadApi.as_view(), name="import-upload"),
    path("imports/<int:batch_id>/", imports_api.ImportDetailApi.as_view(), name="import-detail"),
    path(
        "imports/<int:batch_id>/errors.<str:fmt>",
        imports_api.ImportErrorReportApi.as_view(),
        name="import-errors",
    ),
]
