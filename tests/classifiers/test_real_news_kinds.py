"""Kinds of Arabic news the real-news dev sets showed: returns told without «عودة» or in two sentences of a war
report, fighters coming back from Syria, and the relief stories, political formulas, officials' titles and blood
drives that are neither returns nor reconciliation.

The articles are invented for these tests; none is in classifiers/training/ or in an evaluation set.
"""

from __future__ import annotations

import pytest

from classifiers import load_classifier
from newsmon.records import ClassifierInput

WITH_LEARNED = load_classifier()
RULES_ONLY = load_classifier(learned=False)

FAMILIES_BACK_WITHOUT_THE_WORD = ClassifierInput(
    id="back", lang="ar", title="الأسر تملأ شوارع البلدة من جديد بعد خروج المسلحين",
    text="بعد أسبوعين من انسحاب المسلحين من البلدة، رجعت مئات الأسر التي فرت إلى القرى الجبلية المجاورة إلى "
         "بيوتها في الأحياء الشرقية.\nونقلت العائلات أمتعتها على سيارات نقل صغيرة، ووجد كثير منها الأبواب مخلوعة "
         "والأثاث منهوبا.\nوقال رئيس المجلس المحلي إن فرق الهندسة أزالت العبوات من المدارس والمستوصف، وإن المياه "
         "وصلت إلى نصف الأحياء.\nوأضاف أن أسرا أخرى ما زالت تنتظر في مراكز الإيواء حتى تصلح بيوتها المتضررة.")
WAR_REPORT_WITH_TWO_SENTENCES_ON_RETURNS = ClassifierInput(
    id="front", lang="ar", title="القوات تتقدم نحو مركز المحافظة وتسيطر على تلال استراتيجية",
    text="تقدمت القوات الحكومية مدعومة بالطيران أمس نحو مركز المحافظة، وسيطرت على ثلاث تلال تطل على الطريق "
         "الدولي، بحسب مصادر عسكرية.\nوقال قائد ميداني إن المعارك أسفرت عن مقتل عشرات المسلحين وتدمير آليات لهم، "
         "فيما قتل خمسة جنود.\nوتسعى القوات إلى فتح الطريق الرئيسي وتمكين النازحين من العودة إلى منازلهم في المدينة "
         "قبل حلول الشتاء.\nويشكو النازحون الذين رجعوا إلى الأحياء المحررة من انقطاع الكهرباء وانتشار الألغام في "
         "الشوارع.\nوفي جبهة أخرى، قصفت المدفعية مواقع للمسلحين في الوادي الشمالي، وأعلن الجيش أسر عدد منهم.")
FIGHTERS_BACK_FROM_SYRIA = ClassifierInput(
    id="fighters", lang="ar", title="التحقيق مع شبان عادوا من مناطق القتال",
    text="قال مصدر أمني إن الأجهزة المختصة تحقق مع عشرين شابا عادوا من سوريا خلال الشهرين الماضيين بعد أن انضموا "
         "إلى جماعات متشددة هناك.\nوأوضح المصدر أن العائدين من مناطق الصراع يخضعون لاستجواب مفصل عن الجهات التي "
         "جندتهم وسهلت سفرهم، ثم يحال بعضهم إلى برنامج للتأهيل.")


def _evidence_is_from_the_article(doc: ClassifierInput, evidence: tuple[str, ...]) -> bool:
    return bool(evidence) and all(span and (span in doc.text or span in doc.title) for span in evidence)


def test_families_going_back_home_told_without_the_word_return_are_tagged_by_the_learned_stage() -> None:
    assert "returns" not in RULES_ONLY.classify(FAMILIES_BACK_WITHOUT_THE_WORD).labels
    result = WITH_LEARNED.classify(FAMILIES_BACK_WITHOUT_THE_WORD)
    assert "returns" in result.labels
    assert _evidence_is_from_the_article(FAMILIES_BACK_WITHOUT_THE_WORD, result.evidence["returns"])
    assert any("رجعت مئات الأسر" in span for span in result.evidence["returns"])


def test_two_sentences_on_the_displaced_going_home_make_a_short_war_report_a_returns_story() -> None:
    result = WITH_LEARNED.classify(WAR_REPORT_WITH_TWO_SENTENCES_ON_RETURNS)
    assert result.labels == ("returns",)
    evidence = result.evidence["returns"]
    assert _evidence_is_from_the_article(WAR_REPORT_WITH_TWO_SENTENCES_ON_RETURNS, evidence)
    assert len(evidence) == 2  # both sentences, and nothing from the fighting


def test_fighters_who_came_back_from_syria_are_returnees_with_the_sentences_that_say_so() -> None:
    result = RULES_ONLY.classify(FIGHTERS_BACK_FROM_SYRIA)
    assert "returns" in result.labels
    evidence = result.evidence["returns"]
    assert _evidence_is_from_the_article(FIGHTERS_BACK_FROM_SYRIA, evidence)
    assert any("عادوا من سوريا" in span for span in evidence)
    assert any("العائدين من مناطق الصراع" in span for span in evidence)


@pytest.mark.parametrize("title, text, tag", [
    pytest.param(
        "قافلة إغاثة تصل إلى المحافظة المنكوبة",
        "وصلت إلى المحافظة أمس قافلة إغاثة تضم أربعين شاحنة محملة بالسلال الغذائية والأدوية والبطانيات.\nوقال منسق "
        "الحملة إن المساعدات ستوزع على الأسر النازحة في المدارس والمخيمات وعلى الفقراء والمتضررين من الحرب.\nوأشار "
        "إلى أن الحملة وزعت منذ بدايتها أكثر من مئة ألف سلة غذائية في مختلف المناطق.",
        "returns", id="relief-for-the-displaced-where-they-are"),
    pytest.param(
        "وزير الخارجية: لا حل في اليمن إلا بانسحاب الميليشيات",
        "قال وزير الخارجية إن الحل في اليمن سياسي ومبني على أسس الحوار الوطني والمبادرة الخليجية وقرار مجلس "
        "الأمن.\nوأضاف أن الميليشيات يجب أن تنسحب من المدن وتسلم الأسلحة الثقيلة إلى الدولة.\nوأشار إلى أن قوات "
        "التحالف ستواصل دعم الجيش الوطني حتى استعادة العاصمة.",
        "reconciliation", id="yemen-national-dialogue-formula"),
    pytest.param(
        "قائد الجيش يدعو الجنود إلى الجهوزية",
        "دعا قائد الجيش الضباط والجنود إلى الجهوزية الكاملة لمواجهة الجماعات الإرهابية على الحدود الشرقية.\nوقال "
        "إن قوة المؤسسة العسكرية في وحدتها وفي التزامها وثيقة الوفاق الوطني والدستور.\nوأكد أن الجيش يقف على "
        "مسافة واحدة من الجميع ويحترم وثيقة الوفاق الوطني نصا وروحا.",
        "reconciliation", id="lebanon-national-accord-document"),
    pytest.param(
        "سياسي يمني يطالب بإغاثة عاجلة لعدن",
        "طالب نائب الأمين العام لمؤتمر الحوار الوطني الحكومة بالإسراع في إعادة الخدمات إلى مدينة عدن وتطهيرها من "
        "الخلايا النائمة.\nوقال إن المدينة تحتاج إلى الماء والكهرباء والأدوية، داعيا إلى رعاية أسر القتلى ومعالجة "
        "الجرحى.\nوأشاد بأداء المقاتلين في الجبهات وبدعم التحالف لهم.",
        "reconciliation", id="an-official-s-title-naming-the-national-dialogue"),
    pytest.param(
        "مئات المتبرعين بالدم لضحايا تفجير المسجد",
        "توافد مئات المواطنين على مستشفيات المدينة للتبرع بالدم لضحايا التفجير الذي استهدف المصلين ظهر أمس.\n"
        "وقال مدير المستشفى إن بنك الدم امتلأ خلال ساعات، وإن حالة معظم الجرحى مستقرة.\nوعبر المتبرعون عن "
        "تضامنهم مع أسر الضحايا ووقوفهم صفا واحدا في وجه الإرهاب.",
        "reconciliation", id="blood-drive-for-the-victims-of-a-bombing"),
])
def test_relief_formulas_titles_and_blood_drives_are_neither_returns_nor_reconciliation(
        title: str, text: str, tag: str) -> None:
    result = WITH_LEARNED.classify(ClassifierInput(id="x", lang="ar", title=title, text=text))
    assert tag not in result.labels, result.evidence.get(tag)
