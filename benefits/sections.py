def patient_benefits_section(request, patient):
    return None
