"""carehub.widgets.FastSelect writes what Django's template-drawn Select writes."""

from __future__ import annotations

import re

import pytest
from django import forms

from carehub.widgets import FastSelect

CHOICES = [
    ("", "---------"),
    ("1", "<script>alert(1)</script>"),
    ("2", 'Team "North" & co'),
    ("Group", [("3", "Three"), ("4", "Four")]),
]


def parts(html: str) -> list[tuple[str, ...]]:
    """Tags and their attributes, order and whitespace aside."""
    found = []
    for tag, attributes, text in re.findall(r"<(\w+)([^>]*)>([^<]*)", html):
        found.append((tag, *sorted(re.findall(r'[\w-]+(?:="[^"]*")?', attributes)), text.strip()))
    return found


class Form(forms.Form):
    plain = forms.ChoiceField(label="Plain", choices=CHOICES, help_text="Help")
    fast = forms.ChoiceField(label="Fast", choices=CHOICES, help_text="Help", widget=FastSelect)


def test_the_same_options_attributes_and_choice_as_django_select():
    form = Form({"plain": "3", "fast": "3"})
    plain = str(form["plain"]).replace("plain", "NAME")
    fast = str(form["fast"]).replace("fast", "NAME")
    assert parts(fast) == parts(plain)
    assert 'value="3" selected' in fast and fast.count("selected") == 1


def test_labels_and_values_are_escaped():
    html = str(Form()["fast"])
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Team &quot;North&quot; &amp; co" in html


def render_team_selects(chosen, **fast_options):
    """Django's select and a FastSelect of the same teams, ``chosen`` selected in both:
    (plain HTML, fast HTML, the queries the fast one ran)."""
    import django_filters
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from accounts.models import CareTeam

    class Teams(django_filters.FilterSet):
        plain = django_filters.ModelChoiceFilter(
            queryset=CareTeam.objects.order_by("name"), null_label=fast_options.get("null_label")
        )
        fast = django_filters.ModelChoiceFilter(
            queryset=CareTeam.objects.order_by("name"),
            null_label=fast_options.get("null_label"),
            widget=FastSelect(label_field=fast_options.get("label_field")),
        )

        class Meta:
            model = CareTeam
            fields = []

    form = Teams({"plain": str(chosen.pk), "fast": str(chosen.pk)}).form
    plain = str(form["plain"]).replace("plain", "NAME")
    with CaptureQueriesContext(connection) as queries:
        fast = str(form["fast"]).replace("fast", "NAME")
    return plain, fast, queries.captured_queries


@pytest.mark.django_db
def test_model_choices_match_django_select_and_are_read_in_one_plain_query(team_a, team_b):
    plain, fast, queries = render_team_selects(team_b, null_label="No team")
    assert parts(fast) == parts(plain)
    assert "No team" in fast and "Team B</option>" in fast
    # One SELECT, not QuerySet.iterator()'s server-side cursor (DECLARE ... on PostgreSQL).
    assert [q["sql"].split()[0] for q in queries] == ["SELECT"]


@pytest.mark.django_db
def test_label_field_reads_pairs_and_writes_the_same_options(team_a, team_b):
    team_b.name = 'Team "B" & <co>'
    team_b.save()
    plain, fast, queries = render_team_selects(team_b, label_field="name")
    assert parts(fast) == parts(plain)
    assert f'value="{team_b.pk}" selected' in fast
    assert "Team &quot;B&quot; &amp; &lt;co&gt;</option>" in fast
    # The id and the label, not every column of the team.
    [query] = queries
    columns = query["sql"].split(" FROM ")[0]
    assert '"name"' in columns and '"description"' not in columns
