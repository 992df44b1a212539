from django.urls import path

from allocation import api as allocation_api
from allocation.forecast import api as forecast_api
from allocation.ledger import api as ledger_api
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
    path("keys/", allocation_api.KeyListApi.as_view(), name="key-list"),
    path("keys/compute/", allocation_api.KeyComputeApi.as_view(), name="key-compute"),
    path("keys/from-values/", allocation_api.KeyFromValuesApi.as_view(), name="key-from-values"),
    path("keys/compare/", allocation_api.KeyCompareApi.as_view(), name="key-compare"),
    path("keys/rolling/", allocation_api.RollingSharesApi.as_view(), name="key-rolling"),
    path("keys/<int:key_id>/", allocation_api.KeyDetailApi.as_view(), name="key-detail"),
    path("keys/<int:key_id>/decision/", allocation_api.KeyDecisionApi.as_view(), name="key-decision"),
    path("keys/<int:key_id>/what-if/", allocation_api.KeyWhatIfApi.as_view(), name="key-what-if"),
    path("keys/<int:key_id>/excel/", allocation_api.KeyExcelApi.as_view(), name="key-excel"),
    path("statistics/<str:month>/", allocation_api.StatisticsOverviewApi.as_view(), name="statistics-overview"),
    path(
        "statistics/<str:month>/<str:code>/",
        allocation_api.StatisticsAdministrationApi.as_view(),
        name="statistics-administration",
    ),
    path("runs/", allocation_api.RunListApi.as_view(), name="run-list"),
    path("runs/create/", allocation_api.RunCreateApi.as_view(), name="run-create"),
    path("runs/<int:run_id>/", allocation_api.RunDetailApi.as_view(), name="run-detail"),
    path("runs/<int:run_id>/excel/", allocation_api.RunExcelApi.as_view(), name="run-excel"),
    path("runs/<int:run_id>/postings/", ledger_api.RunPostingApi.as_view(), name="run-postings"),
    path("forecast/<int:year>/", forecast_api.ForecastApi.as_view(), name="forecast"),
    path("postings/<int:posting_id>/file/", ledger_api.PostingFileApi.as_view(), name="posting-file"),
]
