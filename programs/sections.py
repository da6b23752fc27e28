def patient_enrolments_section(request, patient):
    return None
