"""Reads of the dashboards: the coordinator's My day (my_day) and the case manager's
caseload review (caseload). Every query starts from the scope rule
(patients.selectors.patients_visible_to, through each app's *_visible_to)."""
