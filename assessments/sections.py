def patient_needs_section(request, patient):
    return None
