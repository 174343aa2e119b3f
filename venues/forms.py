"""The web forms that add and change venues and cameras. The models' own validators check each field (time zone,
country, coordinates, stream URL), so the pages refuse what the admin and the API refuse, in the same words."""

import zoneinfo

from django import forms
from django.core.exceptions import ValidationError

from venues.models import BenchmarkReference, Camera, Venue
from venues.validators import WEEKDAYS, validate_opening_hours

DAY_NAMES = dict(
    zip(WEEKDAYS, ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"), strict=True)
)


class VenueForm(forms.ModelForm):
    """A venue, with its opening hours typed per weekday ("09:00-21:00", several separated by commas, empty:
    closed) instead of the stored JSON."""

    time_zone = forms.ChoiceField(choices=[(name, name) for name in sorted(zoneinfo.available_timezones())])

    class Meta:
        model = Venue
        fields = ["name", "venue_type", "address", "city", "country", "time_zone", "latitude", "longitude"]
        widgets = {"latitude": forms.NumberInput(attrs={"step": "any"}),
                   "longitude": forms.NumberInput(attrs={"step": "any"})}  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        hours = self.instance.opening_hours or {}
        for day in WEEKDAYS:
            self.fields[f"hours_{day}"] = forms.CharField(
                label=DAY_NAMES[day], required=False, initial=", ".join(hours.get(day, [])),
                widget=forms.TextInput(attrs={"placeholder": "closed"}),
            )  # fmt: skip

    def place_fields(self):
        return [self[name] for name in self.Meta.fields if name not in ("latitude", "longitude")]

    def hour_fields(self):
        return [self[f"hours_{day}"] for day in WEEKDAYS]

    def clean(self):
        cleaned = super().clean()
        hours = {}
        for day in WEEKDAYS:
            typed = cleaned.get(f"hours_{day}", "").split(",")  # spaces allowed: "09:00 - 21:00"
            intervals = [interval for part in typed if (interval := "".join(part.split()))]
            try:
                validate_opening_hours({day: intervals})
            except ValidationError as error:
                self.add_error(f"hours_{day}", error)
            if intervals:
                hours[day] = intervals
        self.instance.opening_hours = hours
        unpaired = (cleaned.get("latitude") is None) != (cleaned.get("longitude") is None)
        if unpaired and not (self.has_error("latitude") or self.has_error("longitude")):
            self.add_error("latitude", "Give both latitude and longitude, or neither.")
        return cleaned


class CameraForm(forms.ModelForm):
    class Meta:
        model = Camera
        fields = ["name", "role", "stream_url", "people_size"]
        widgets = {"stream_url": forms.TextInput(attrs={"placeholder": "rtsp://… or https://… (optional)"})}

    def clean_name(self):
        name = self.cleaned_data["name"]
        others = Camera.objects.filter(venue=self.instance.venue, name=name).exclude(pk=self.instance.pk)
        if others.exists():
            raise ValidationError(f"{self.instance.venue.name} already has a camera named {name!r}.")
        return name


# each reference figure as people type it: (form field, label, how many stored units one typed unit is)
REFERENCE_FIELDS = {
    BenchmarkReference.Figure.VISITORS_PER_DAY: ("visitors_per_day", "Visitors per day", 1),
    BenchmarkReference.Figure.CONVERSION: ("conversion_percent", "Conversion (%)", 0.01),
    BenchmarkReference.Figure.AVERAGE_VISIT_SECONDS: ("average_visit_minutes", "Average visit (minutes)", 60),
}


class BenchmarkReferencesForm(forms.Form):
    """A venue type's reference figures as people think of them (conversion in %, visits in minutes); an empty
    field removes that reference."""

    source = forms.CharField(
        required=False, max_length=200, help_text="Where the figures come from, e.g. 'our 2025 average'."
    )

    def __init__(self, *args, stored: dict, **kwargs):
        super().__init__(*args, **kwargs)
        for figure, (name, label, unit) in REFERENCE_FIELDS.items():
            reference = stored.get(figure)
            self.fields[name] = forms.FloatField(
                label=label, required=False, min_value=0, max_value=100 if unit == 0.01 else None,
                initial=round(reference.value / unit, 4) if reference else None,
                widget=forms.NumberInput(attrs={"step": "any"}),
            )  # fmt: skip
        self.fields["source"].initial = next((r.source for r in stored.values() if r.source), "")
        self.order_fields([name for name, _, _ in REFERENCE_FIELDS.values()])

    def clean(self):
        cleaned = super().clean()
        for name, _, _ in REFERENCE_FIELDS.values():
            if cleaned.get(name) == 0:
                self.add_error(name, "A reference is a positive number; leave it empty for none.")
        return cleaned

    def stored_values(self) -> dict:
        """Each figure's value in stored units, None where the field was left empty."""
        return {figure: None if self.cleaned_data[name] is None else self.cleaned_data[name] * unit
                for figure, (name, _, unit) in REFERENCE_FIELDS.items()}  # fmt: skip
