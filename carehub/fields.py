"""Form fields shared by every app.

Records name themselves by number in ``__str__`` ("Goal #502"): that text reaches admin
logs and history, where a number is enough. A person picking a goal, a plan or a referral
needs its own words: a model offers them as ``picker_label``, and every record picker is a
``RecordChoiceField``, which shows it.
"""

from __future__ import annotations

from django import forms


def picker_label(obj) -> str:
    label = getattr(obj, "picker_label", None)
    return str(label) if label else str(obj)


class RecordChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return picker_label(obj)
