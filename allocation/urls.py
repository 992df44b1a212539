from django.urls import include, path

from allocation.analysis import views as analysis_views
from allocation.keys import review_views, views
from allocation.ledger import cost_views
from allocation.ledger import views as ledger_views
from allocation.runs import views as pool_views

app_name = "allocation"
urlpatterns = [
    path("keys/", views.key_list, name="key-list"),
    path("keys/compare/", views.key_compare, name="key-compare"),
    path("keys/new/measured/", views.key_new_measured, name="key-new-measured"),
    path("keys/new/values/", views.key_new_values, name="key-new-values"),
    path("keys/<int:key_id>/", views.key_detail, name="key-detail"),
    path("keys/<int:key_id>/decision/", views.key_decision, name="key-decision"),
    path("keys/<int:key_id>/what-if/", analysis_views.key_what_if, name="key-what-if"),
    path("keys/<int:key_id>/try-without/", review_views.key_try_without, name="key-try-without"),
    path("keys/<int:key_id>/memo/", review_views.key_memo, name="key-memo"),
    path("drift/", analysis_views.drift, name="drift"),
    path("kostnad/", cost_views.centre_cost, name="centre-cost"),
    path("avrakning/", ledger_views.settlement_list, name="settlement-list"),
    path("avrakning/<int:settlement_id>/", ledger_views.settlement_detail, name="settlement-detail"),
    path("budgetramar/", ledger_views.budget_frames, name="budget-frames"),
    path("pools/", pool_views.pool_list, name="pool-list"),
    path("pools/<int:pool_id>/", pool_views.pool_detail, name="pool-detail"),
    path("pools/<int:pool_id>/pris/", pool_views.pool_price_decision, name="pool-price-decision"),
    path("runs/<int:run_id>/", pool_views.run_detail, name="run-detail"),
    path("runs/<int:run_id>/kontering.<str:fmt>", pool_views.run_postings, name="run-postings"),
    path("runs/<int:run_id>/overfor/", pool_views.run_post, name="run-post"),
    path("bokforing/<int:posting_id>/", pool_views.posting_file, name="posting-file"),
    path("prognos/", include("allocation.forecast.urls")),
    path("konteringsprofil/", pool_views.posting_profile, name="posting-profile"),
    path("finansiering/", include("allocation.funding.urls")),
    path("ramjustering/", include("allocation.frames.urls")),
    path("utvardering/", include("allocation.evaluation.urls")),
    path("overforingar/", include("allocation.transfers.urls")),
    path("mal/", include("allocation.goals.urls")),
]
