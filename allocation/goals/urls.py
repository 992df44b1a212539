from django.urls import path

from allocation.goals import views

app_name = "goals"
urlpatterns = [
    path("", views.goals_follow_up, name="follow-up"),
    path("malvarden/", views.target_set_list, name="target-sets"),
    path("malvarden/ny/", views.target_set_edit, name="target-set-new"),
    path("malvarden/<int:target_set_id>/", views.target_set_detail, name="target-set"),
    path("malvarden/<int:target_set_id>/andra/", views.target_set_edit, name="target-set-edit"),
    path("malvarden/<int:target_set_id>/beslut/", views.target_set_decision, name="target-set-decision"),
]
