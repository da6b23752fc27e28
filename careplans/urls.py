from django.urls import path

from careplans.views import care_plans, tasks

app_name = "careplans"

# Ids only in paths: nothing that identifies a patient beyond a number (no PHI in URLs).
urlpatterns = [
    path("patient/<int:patient_pk>/new/", care_plans.careplan_create, name="create"),
    path("<int:pk>/", care_plans.careplan_detail, name="detail"),
    path("<int:pk>/edit/", care_plans.careplan_edit, name="edit"),
    path("<int:pk>/move/<slug:target>/", care_plans.careplan_transition, name="transition"),
    path("<int:pk>/review/", care_plans.careplan_review, name="review"),
    path("<int:pk>/print/", care_plans.careplan_print, name="print"),
    path("<int:pk>/goals/new/", care_plans.goal_create, name="goal_create"),
    path("goals/<int:pk>/edit/", care_plans.goal_edit, name="goal_edit"),
    path("goals/<int:pk>/move/<slug:target>/", care_plans.goal_transition, name="goal_transition"),
    path("goals/<int:pk>/progress/", care_plans.goal_progress, name="goal_progress"),
    path("patient/<int:patient_pk>/tasks/new/", tasks.task_create, name="task_create"),
    path("tasks/mine/", tasks.my_tasks, name="my_tasks"),
    path("tasks/<int:pk>/complete/", tasks.task_complete, name="task_complete"),
    path("tasks/<int:pk>/reschedule/", tasks.task_reschedule, name="task_reschedule"),
    path("tasks/<int:pk>/snooze/", tasks.task_snooze, name="task_snooze"),
    path("tasks/<int:pk>/move/<slug:target>/", tasks.task_transition, name="task_transition"),
]
