"""The standard health-related social needs screening, in English and Spanish.

Modelled on public screening tools (the CMS Accountable Health Communities HRSN screening
tool among them), with CareHub's own wording written for the patient. Five core domains
and six optional ones; each answer has a score, and some answers flag their domain
positive on their own (any report of being hurt, a shut-off notice, losing housing).
Admins change or add templates in Django admin; this migration only creates the first.
"""

from django.db import migrations

NAME = "Health-related social needs screening"

NEVER_TO_FREQUENTLY = [
    ("Never", "Nunca", 0, False),
    ("Rarely", "Rara vez", 1, False),
    ("Sometimes", "A veces", 2, False),
    ("Fairly often", "Con bastante frecuencia", 3, False),
    ("Frequently", "Con mucha frecuencia", 4, False),
]
OFTEN_SOMETIMES_NEVER = [
    ("Often true", "Muchas veces", 2, False),
    ("Sometimes true", "Algunas veces", 1, False),
    ("Never true", "Nunca", 0, False),
]
TWO_WEEKS = [
    ("Not at all", "Nunca", 0, False),
    ("Several days", "Varios días", 1, False),
    ("More than half the days", "Más de la mitad de los días", 2, False),
    ("Nearly every day", "Casi todos los días", 3, False),
]
HOW_MANY_TIMES = [
    ("Never", "Nunca", 0, False),
    ("Once or twice", "Una o dos veces", 1, True),
    ("Monthly", "Cada mes", 2, True),
    ("Weekly", "Cada semana", 3, True),
    ("Daily or almost daily", "Todos o casi todos los días", 4, True),
]
YES_NO_FLAG = [("Yes", "Sí", 1, True), ("No", "No", 0, False)]

# Each domain: whether it is optional, the positive score and the high-severity score.
RULES = [
    ("living_situation", False, 2, 3),
    ("food", False, 1, 3),
    ("transportation", False, 1, 2),
    ("utilities", False, 1, 2),
    ("safety", False, 3, 7),
    ("financial", True, 1, 2),
    ("employment", True, 1, 2),
    ("social_support", True, 2, 3),
    ("mental_health", True, 3, 5),
    ("substance_use", True, 1, 4),
    ("disability", True, 1, 2),
]

# (domain, required, English, Spanish, options). None is required: the patient may skip
# any question, and a domain without answers is not scored.
QUESTIONS = [
    (
        "living_situation",
        False,
        "Which of these best describes where you live right now?",
        "¿Cuál de estas opciones describe mejor dónde vive ahora?",
        [
            ("I have a steady place to live", "Tengo un lugar estable donde vivir", 0, False),
            (
                "I have a place to live today, but I am worried I may lose it",
                "Tengo un lugar donde vivir hoy, pero me preocupa perderlo",
                2,
                True,
            ),
            (
                "I do not have a steady place (I stay with others, in a shelter, in a car or outside)",
                "No tengo un lugar estable (me quedo con otras personas, en un albergue, en un carro o en la calle)",
                3,
                True,
            ),
        ],
    ),
    (
        "living_situation",
        False,
        "Do you have problems at home such as pests, mould, lead paint or pipes, no heat, a stove or oven that does not work, missing smoke alarms, or water leaks?",
        "¿Tiene problemas en su casa como plagas, moho, pintura o tuberías con plomo, falta de calefacción, una estufa u horno que no funciona, falta de detectores de humo o goteras?",
        [
            ("None of these", "Ninguno de estos", 0, False),
            ("One of these", "Uno de estos", 1, False),
            ("More than one of these", "Más de uno de estos", 2, False),
        ],
    ),
    (
        "food",
        False,
        "In the past 12 months, I worried that our food would run out before we had money to buy more.",
        "En los últimos 12 meses, me preocupó que la comida se acabara antes de tener dinero para comprar más.",
        OFTEN_SOMETIMES_NEVER,
    ),
    (
        "food",
        False,
        "In the past 12 months, the food we bought did not last and we had no money to get more.",
        "En los últimos 12 meses, la comida que compramos no alcanzó y no teníamos dinero para comprar más.",
        OFTEN_SOMETIMES_NEVER,
    ),
    (
        "transportation",
        False,
        "In the past 12 months, has not having a reliable way to get around kept you from medical visits, work, or getting the things you need each day?",
        "En los últimos 12 meses, ¿no tener una forma confiable de transportarse le ha impedido ir a citas médicas, al trabajo o conseguir lo que necesita cada día?",
        [
            ("Yes, often", "Sí, muchas veces", 2, True),
            ("Yes, sometimes", "Sí, algunas veces", 1, True),
            ("No", "No", 0, False),
        ],
    ),
    (
        "utilities",
        False,
        "In the past 12 months, has the electricity, gas, oil or water company threatened to cut off service to your home?",
        "En los últimos 12 meses, ¿la compañía de electricidad, gas, combustible o agua ha amenazado con cortar el servicio en su casa?",
        [
            ("Yes", "Sí", 1, True),
            ("The service was already cut off", "Ya me cortaron el servicio", 2, True),
            ("No", "No", 0, False),
        ],
    ),
    (
        "safety",
        False,
        "How often does anyone, including family or friends, hurt you physically?",
        "¿Con qué frecuencia alguien, incluso familiares o amistades, le hace daño físico?",
        [(en, es, score, score > 0) for en, es, score, _flag in NEVER_TO_FREQUENTLY],
    ),
    (
        "safety",
        False,
        "How often does anyone, including family or friends, insult you or put you down?",
        "¿Con qué frecuencia alguien, incluso familiares o amistades, le insulta o le hace sentir menos?",
        NEVER_TO_FREQUENTLY,
    ),
    (
        "safety",
        False,
        "How often does anyone, including family or friends, threaten to harm you?",
        "¿Con qué frecuencia alguien, incluso familiares o amistades, le amenaza con hacerle daño?",
        [(en, es, score, score > 1) for en, es, score, _flag in NEVER_TO_FREQUENTLY],
    ),
    (
        "safety",
        False,
        "How often does anyone, including family or friends, yell or swear at you?",
        "¿Con qué frecuencia alguien, incluso familiares o amistades, le grita o le dice groserías?",
        NEVER_TO_FREQUENTLY,
    ),
    (
        "financial",
        False,
        "How hard is it for you to pay for basics like food, housing, medical care and heating?",
        "¿Qué tan difícil le resulta pagar lo básico, como comida, vivienda, atención médica y calefacción?",
        [
            ("Very hard", "Muy difícil", 2, False),
            ("Somewhat hard", "Algo difícil", 1, False),
            ("Not hard at all", "Nada difícil", 0, False),
        ],
    ),
    (
        "employment",
        False,
        "Would you like help finding work or keeping the job you have?",
        "¿Le gustaría recibir ayuda para encontrar trabajo o mantener el que tiene?",
        [
            ("Yes, help finding work", "Sí, ayuda para encontrar trabajo", 1, False),
            ("Yes, help keeping my job", "Sí, ayuda para mantener mi trabajo", 1, False),
            ("No, I do not need help", "No, no necesito ayuda", 0, False),
        ],
    ),
    (
        "social_support",
        False,
        "If you need help with everyday things like shopping, cooking or getting around, do you get the help you need?",
        "Si necesita ayuda con cosas de todos los días como hacer compras, cocinar o trasladarse, ¿recibe la ayuda que necesita?",
        [
            ("I do not need help", "No necesito ayuda", 0, False),
            ("I get all the help I need", "Recibo toda la ayuda que necesito", 0, False),
            ("I could use a little more help", "Me vendría bien un poco más de ayuda", 1, False),
            ("I need a lot more help", "Necesito mucha más ayuda", 2, False),
        ],
    ),
    (
        "social_support",
        False,
        "How often do you feel lonely or cut off from the people around you?",
        "¿Con qué frecuencia se siente solo o sola, o alejado de las personas que le rodean?",
        [
            ("Never", "Nunca", 0, False),
            ("Rarely", "Rara vez", 0, False),
            ("Sometimes", "A veces", 1, False),
            ("Often", "Muchas veces", 2, False),
            ("Always", "Siempre", 2, False),
        ],
    ),
    (
        "mental_health",
        False,
        "Over the last 2 weeks, how often have you felt down, sad or hopeless?",
        "En las últimas 2 semanas, ¿con qué frecuencia se ha sentido decaído, triste o sin esperanza?",
        TWO_WEEKS,
    ),
    (
        "mental_health",
        False,
        "Over the last 2 weeks, how often have you had little interest or enjoyment in doing things?",
        "En las últimas 2 semanas, ¿con qué frecuencia ha tenido poco interés o placer en hacer las cosas?",
        TWO_WEEKS,
    ),
    (
        "substance_use",
        False,
        "In the past 12 months, how often have you had more than 4 alcoholic drinks in one day?",
        "En los últimos 12 meses, ¿con qué frecuencia ha tomado más de 4 bebidas alcohólicas en un día?",
        [(en, es, score, False) for en, es, score, _flag in HOW_MANY_TIMES],
    ),
    (
        "substance_use",
        False,
        "In the past 12 months, how often have you used a street drug, or a prescription medicine in a way it was not prescribed?",
        "En los últimos 12 meses, ¿con qué frecuencia ha usado una droga ilegal, o un medicamento recetado de una forma distinta a la indicada?",
        HOW_MANY_TIMES,
    ),
    (
        "disability",
        False,
        "Because of a physical, mental or emotional condition, do you have serious trouble concentrating, remembering, making decisions, or running errands on your own?",
        "Debido a una condición física, mental o emocional, ¿tiene mucha dificultad para concentrarse, recordar, tomar decisiones o hacer mandados por su cuenta?",
        YES_NO_FLAG,
    ),
    (
        "disability",
        False,
        "Do you have serious trouble walking, climbing stairs, dressing or bathing?",
        "¿Tiene mucha dificultad para caminar, subir escaleras, vestirse o bañarse?",
        YES_NO_FLAG,
    ),
]


def seed(apps, schema_editor):
    Template = apps.get_model("assessments", "ScreeningTemplate")
    DomainRule = apps.get_model("assessments", "DomainRule")
    Question = apps.get_model("assessments", "Question")
    AnswerOption = apps.get_model("assessments", "AnswerOption")
    if Template.objects.filter(name=NAME).exists():
        return
    template = Template.objects.create(
        name=NAME,
        name_es="Evaluación de necesidades sociales relacionadas con la salud",
        description=(
            "Core domains (living situation, food, transportation, utilities, interpersonal "
            "safety) and optional ones (finances, employment, family and community support, "
            "mental health, substance use, disability)."
        ),
        introduction_en=(
            "Things like housing, food and money affect health. These questions help us "
            "see where we can help. Your answers are private to your care team, and you may "
            "skip any question."
        ),
        introduction_es=(
            "Cosas como la vivienda, la comida y el dinero afectan la salud. Estas preguntas "
            "nos ayudan a ver dónde podemos ayudarle. Sus respuestas son privadas para su "
            "equipo de atención y puede saltar cualquier pregunta."
        ),
    )
    for position, (domain, optional, positive_at, high_at) in enumerate(RULES):
        DomainRule.objects.create(
            template=template,
            domain=domain,
            is_optional=optional,
            positive_at=positive_at,
            high_at=high_at,
            position=position,
        )
    for position, (domain, required, text_en, text_es, options) in enumerate(QUESTIONS):
        question = Question.objects.create(
            template=template,
            domain=domain,
            position=position,
            text_en=text_en,
            text_es=text_es,
            is_required=required,
        )
        AnswerOption.objects.bulk_create(
            AnswerOption(
                question=question,
                position=index,
                text_en=en,
                text_es=es,
                score=score,
                flags_domain=flags,
            )
            for index, (en, es, score, flags) in enumerate(options)
        )


class Migration(migrations.Migration):
    dependencies = [("assessments", "0002_grant_role_permissions")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
