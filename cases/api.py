"""Read endpoints for the organisation: administrations, groupings, the grouping map, channels."""

from __future__ import annotations

from datetime import date

from django.utils.translation import gettext as _
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.generics import ListAPIView

from cases.models import Administration, Channel, Grouping, GroupingMapEntry
from cases.selectors import administrations_visible_to, grouping_map_in_force
from config.api import ReadsEverything


class AdministrationOutput(serializers.ModelSerializer):
    class Meta:
        model = Administration
        fields = ["id", "code", "name", "cost_centre", "valid_from", "valid_to"]


class AdministrationListApi(ListAPIView):
    """Administrations; a department head sees their own, finance and steering group all."""

    serializer_class = AdministrationOutput

    def get_queryset(self):
        return administrations_visible_to(self.request.user).order_by("code")


class GroupingOutput(serializers.ModelSerializer):
    class Meta:
        model = Grouping
        fields = ["id", "code", "name", "area"]


class GroupingListApi(ListAPIView):
    """The case groupings. Filter with ?area=… or ?administration=CODE (owners in the map in force today)."""

    serializer_class = GroupingOutput
    permission_classes = [ReadsEverything]

    def get_queryset(self):
        qs = Grouping.objects.order_by("code")
        if self.request.query_params.get("area"):
            qs = qs.filter(area=self.request.query_params["area"])
        if self.request.query_params.get("administration"):
            version = grouping_map_in_force(on=date.today())
            qs = qs.filter(
                groupingmapentry__version=version,
                groupingmapentry__administration__code=self.request.query_params["administration"],
            ).distinct()
        return qs


class ChannelOutput(serializers.ModelSerializer):
    class Meta:
        model = Channel
        fields = ["code", "name", "weight"]


class ChannelListApi(ListAPIView):
    serializer_class = ChannelOutput
    permission_classes = [ReadsEverything]
    queryset = Channel.objects.order_by("code")


class GroupingMapEntryOutput(serializers.ModelSerializer):
    grouping = serializers.CharField(source="grouping.code")
    grouping_name = serializers.CharField(source="grouping.name")
    administration = serializers.CharField(source="administration.code", allow_null=True, default=None)
    valid_from = serializers.DateField(source="version.valid_from")

    class Meta:
        model = GroupingMapEntry
        fields = ["grouping", "grouping_name", "administration", "fraction", "is_central", "valid_from"]


class GroupingMapApi(ListAPIView):
    """The grouping map in force on ?on=YYYY-MM-DD (default today); filter ?administration=CODE&grouping=CODE."""

    serializer_class = GroupingMapEntryOutput
    permission_classes = [ReadsEverything]

    def get_queryset(self):
        raw = self.request.query_params.get("on")
        try:
            on = date.fromisoformat(raw) if raw else date.today()
        except ValueError as exc:
            raise ValidationError({"on": _("Write the date as YYYY-MM-DD.")}) from exc
        version = grouping_map_in_force(on=on)
        if version is None:
            raise NotFound(_("No grouping map is in force on %(date)s.") % {"date": f"{on:%Y-%m-%d}"})
        qs = version.entries.select_related("grouping", "administration", "version").order_by("grouping__code")
        params = self.request.query_params
        if params.get("administration"):
            qs = qs.filter(administration__code=params["administration"])
        if params.get("grouping"):
            qs = qs.filter(grouping__code=params["grouping"])
        return qs
