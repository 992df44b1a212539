from django.urls import path

from allocation.transfers import views

urlpatterns = [
    path("", views.transfer_register, name="transfer-register"),
    path("ny/", views.transfer_new, name="transfer-new"),
    path("<int:transfer_id>/", views.transfer_edit, name="transfer-edit"),
    path("<int:transfer_id>/ta-bort/", views.transfer_delete, name="transfer-delete"),
    path("importera/", views.transfer_import, name="transfer-import"),
    path("timkostnad/", views.hour_cost_edit, name="hour-cost"),
    path("nytta/", views.benefit_overview, name="benefit"),
    path("nytta/<str:code>/", views.benefit_administration, name="benefit-administration"),
]
