"""The location picker: a map with a draggable marker over two coordinate inputs.

Put `LocationPicker` on a form's latitude field and `CoordinateInput` on its
longitude field (`picker_fields()` does both). The latitude widget draws the
map (the configured base map, or Quarter's street layer), a status line read
out by screen readers, and its own labelled input; the longitude input is the
form's next field. Clicking the map or dragging the marker fills both inputs
with WGS-84 degrees (also under the 高德 preset, where the map converts), and
typing in the inputs moves the marker, so the picker works from the keyboard.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class CoordinateInput(forms.TextInput):
    """A decimal-degree input with the numeric keypad on phones."""

    def __init__(self, attrs=None):
        super().__init__(
            {"inputmode": "decimal", "autocomplete": "off", "spellcheck": "false"}
            | (attrs or {})
        )


class LocationPicker(CoordinateInput):
    """The latitude input, with the map that picks it and its longitude."""

    template_name = "maps/widgets/location_picker.html"

    def __init__(
        self,
        *,
        legend=None,
        lng_field: str = "lng",
        center: tuple[float, float] | None = None,
        centers_script: str = "",
        centers_select: str = "",
        attrs=None,
    ):
        super().__init__(attrs)
        self.legend = legend or _("在地图上点选位置")
        self.lng_field = lng_field
        self.center = center
        self.centers_script = centers_script
        self.centers_select = centers_select

    class Media:
        js = ["maps/picker.js"]

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        lat_id = context["widget"]["attrs"].get("id") or f"id_{name}"
        lng_id = (
            lat_id[: -len(name)] + self.lng_field
            if lat_id.endswith(name)
            else f"id_{self.lng_field}"
        )
        context["picker"] = {
            "legend": self.legend,
            "lat_id": lat_id,
            "lng_id": lng_id,
            "center": self.center,
            "centers_script": self.centers_script,
            "centers_select": self.centers_select,
        }
        return context


def picker_fields(
    form: forms.Form, *, lat: str = "lat", lng: str = "lng", **picker
) -> None:
    """Give a form's latitude/longitude fields the location picker."""
    form.fields[lat].widget = LocationPicker(lng_field=lng, **picker)
    form.fields[lng].widget = CoordinateInput()
