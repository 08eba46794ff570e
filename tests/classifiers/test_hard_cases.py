"""Hard cases for the shipped rules, on short passages invented for these tests (no corpus text).

Each case states the full expected tag set: topics told in the wording real news uses (Yemen, Libya, Sudan as
well as Iraq and Syria), passing mentions inside longer stories, and the false friends of each tag.
"""

from __future__ import annotations

import pytest

from classifiers import load_classifier
from newsmon.records import ClassifierInput

CLASSIFIER = load_classifier()

FILLER_EN = (
    "The ministry said the new budget would fund road repairs in three provinces. "
    "Traders in the main market reported steady sales of vegetables and bread. "
    "Officials expect the work to finish before the autumn rains begin. "
    "A spokesman said contracts would be published online next month. "
)
FILLER_AR = (
    "وقالت الوزارة إن الموازنة الجديدة ستمول صيانة الطرق في ثلاث محافظات. "
    "وأفاد تجار في السوق الرئيسية بأن مبيعات الخضار والخبز مستقرة. "
    "ويتوقع المسؤولون انتهاء الأعمال قبل موسم الأمطار. "
    "وأضاف متحدث أن العقود ستنشر على الموقع الإلكتروني الشهر المقبل. "
)


def labels(title: str, text: str) -> set[str]:
    return set(CLASSIFIER.classify(ClassifierInput(id="h", title=title, text=text)).labels)


ENGLISH = [
    pytest.param(
        "Yemenis trickle back to Aden neighbourhoods as fighting moves north",
        "Thousands of families who fled Aden during the fighting have begun heading home to the city's eastern "
        "districts. Returnees told aid workers that many houses had been looted and that water was cut off. "
        "Local officials asked the UN refugee agency to help clear unexploded shells from the streets.",
        {"returns"}, id="en-returns-yemen",
    ),
    pytest.param(
        "Lebanon steps up deportations of Syrian refugees",
        "Lebanese authorities deported dozens of Syrian refugees across the border this week, rights groups said. "
        "Families sent back to Syria fear arrest and conscription. The UNHCR warned that forced returns breach "
        "the principle of non-refoulement.",
        {"returns"}, id="en-returns-deportation",
    ),
    pytest.param(
        "Libyan rivals open national dialogue in Tunis",
        "Delegates from Libya's rival parliaments opened a national dialogue in Tunis on Monday under UN "
        "mediation. The talks aim to end years of armed conflict between eastern and western factions. Tribal "
        "leaders from the south joined a separate track on reconciliation and compensation for victims.",
        {"reconciliation"}, id="en-reconciliation-libya-dialogue",
    ),
    pytest.param(
        "Sudan's Darfur tribes sign peace deal after land clashes",
        "Leaders of two Darfur tribes signed a reconciliation agreement ending clashes over grazing land that "
        "killed forty people. Elders mediated the deal, which sets blood money for the victims' families and "
        "creates a joint committee to settle future disputes.",
        {"reconciliation"}, id="en-reconciliation-sudan-tribes",
    ),
    pytest.param(
        "Iraq oil exports climb as Basra terminals expand",
        FILLER_EN * 2 + "Output in the north has recovered since Islamic State militants were driven from the area. "
        + FILLER_EN * 2 + "Traders expect exports to keep rising through the winter.",
        set(), id="en-isis-passing-in-oil-story",
    ),
    pytest.param(
        "Voters in Nineveh queue for provincial elections",
        "Voters in Nineveh queued outside polling stations on Saturday for the first provincial vote in a decade. "
        + FILLER_EN + "Turnout was higher in districts that were held by ISIS until 2017, officials said. "
        + FILLER_EN,
        set(), id="en-isis-passing-in-election-story",
    ),
    pytest.param(
        "Isis Delgado wins the Lisbon marathon",
        "Portuguese runner Isis Delgado won the Lisbon marathon on Sunday in her second attempt. "
        "Delgado pulled away from the pack after thirty kilometres. Isis said the crowd carried her to the line.",
        set(), id="en-isis-is-a-first-name",
    ),
    pytest.param(
        "Pension funds post strong returns as bond yields fall",
        "Dutch pension funds reported annual returns of nine percent. Managers said the returns came mostly from "
        "equities, and investors who returned to emerging markets did well.",
        set(), id="en-financial-returns",
    ),
    pytest.param(
        "Senate leaders plan reconciliation vote on spending package",
        "Senate leaders said the spending package would pass through reconciliation, avoiding a filibuster. "
        "Democrats hope reconciliation will let them pass the bill with fifty votes.",
        set(), id="en-budget-reconciliation",
    ),
    pytest.param(
        "Reality star and estranged father reconcile on live TV",
        "The reality star and her estranged father reconciled during a live broadcast on Friday, ending a feud "
        "that had filled celebrity magazines for years. Both said the reconciliation was long overdue.",
        set(), id="en-celebrity-reconcile",
    ),
    pytest.param(
        "Opposition leader returns to Baghdad after two years abroad",
        "The opposition leader returned to Baghdad on Tuesday after two years in exile in Amman. "
        "His return to politics is expected to shake up the next election campaign.",
        set(), id="en-politician-comeback",
    ),
    pytest.param(
        "Government and rebels return to the negotiating table in Juba",
        "Government and rebel delegations agreed to return to the negotiating table in Juba next week. "
        "The talks collapsed in March over oil revenue sharing.",
        set(), id="en-return-to-talks",
    ),
    pytest.param(
        "IS fighters kill six soldiers in Mozambique ambush",
        "Fighters of the Islamic State's Mozambique affiliate ambushed an army convoy in Cabo Delgado, killing "
        "six soldiers. The jihadist group claimed responsibility on its propaganda channels.",
        {"isis"}, id="en-isis-affiliate",
    ),
]

ARABIC = [
    pytest.param(
        "آلاف النازحين يعودون إلى منازلهم في عدن بعد تحرير المدينة",
        "بدأ آلاف النازحين بالعودة إلى أحيائهم في مدينة عدن بعد انسحاب المسلحين منها. وقالت لجنة الإغاثة إن "
        "العائدين وجدوا منازلهم منهوبة ومدمرة، ودعت المنظمات الدولية إلى دعم العودة الآمنة وإزالة الألغام.",
        {"returns"}, id="ar-returns-aden",
    ),
    pytest.param(
        "المفوضية تبدأ برنامج العودة الطوعية للاجئين السودانيين من تشاد",
        "أعلنت المفوضية السامية للأمم المتحدة لشؤون اللاجئين بدء برنامج العودة الطوعية للاجئين السودانيين "
        "المقيمين في مخيمات شرق تشاد. وقالت إن أول قافلة نقلت مئتي أسرة إلى قراهم في غرب دارفور.",
        {"returns"}, id="ar-returns-sudan-voluntary",
    ),
    pytest.param(
        "ترحيل مئات اللاجئين الأفغان من إيران",
        "رحلت السلطات الإيرانية مئات اللاجئين الأفغان عبر معبر إسلام قلعة خلال الأسبوع الماضي. وقالت منظمات "
        "حقوقية إن العائدين قسرا يواجهون أوضاعا صعبة في بلادهم بلا مأوى ولا عمل.",
        {"returns"}, id="ar-returns-deportation",
    ),
    pytest.param(
        "إطلاق مؤتمر المصالحة الوطنية في ليبيا برعاية أممية",
        "انطلقت في مدينة غدامس أعمال ملتقى المصالحة الوطنية بمشاركة ممثلين عن القبائل والمدن الليبية. وقال "
        "المبعوث الأممي إن الحوار يهدف إلى إنهاء النزاع وجبر الضرر وتعويض ضحايا الحرب.",
        {"reconciliation"}, id="ar-reconciliation-libya",
    ),
    pytest.param(
        "صلح قبلي ينهي ثأرا بين قبيلتين في محافظة مأرب",
        "نجحت وساطة قبلية في إنهاء قضية ثأر بين قبيلتين في محافظة مأرب استمرت سنوات وراح ضحيتها عشرة قتلى. "
        "ووقع شيوخ القبيلتين وثيقة صلح تتضمن دفع الدية والتزام الطرفين بوقف الاقتتال.",
        {"reconciliation"}, id="ar-reconciliation-yemen-tribal",
    ),
    pytest.param(
        "هيئة العدالة الانتقالية في تونس تستمع لشهادات الضحايا",
        "عقدت هيئة الحقيقة والكرامة جلسات استماع علنية لضحايا الانتهاكات. وقالت رئيسة الهيئة إن مسار العدالة "
        "الانتقالية يقوم على كشف الحقيقة والمحاسبة وجبر الضرر ثم المصالحة.",
        {"reconciliation"}, id="ar-reconciliation-transitional-justice",
    ),
    pytest.param(
        "الحوار الوطني السوداني يقر توصيات حول السلام والحكم",
        "أقر مؤتمر الحوار الوطني في الخرطوم توصيات لجنة السلام والوحدة بعد مشاركة أحزاب وحركات مسلحة. "
        "ودعت التوصيات إلى وقف الحرب في دارفور وتحقيق الوفاق الوطني بين القوى السياسية.",
        {"reconciliation"}, id="ar-reconciliation-sudan-dialogue",
    ),
    pytest.param(
        "اشتباكات بين قوات حكومة الوفاق وقوات حفتر جنوب طرابلس",
        "تجددت الاشتباكات بين قوات حكومة الوفاق الوطني والقوات التابعة لحفتر في محاور جنوب طرابلس. وقالت "
        "حكومة الوفاق إن قواتها صدت هجوما على مطار المدينة، فيما قصفت طائرات مسيرة مواقع في ترهونة.",
        set(), id="ar-gna-name-is-not-reconciliation",
    ),
    pytest.param(
        "مقال: التعايش والتسامح قيم راسخة في مجتمعنا",
        "إن التعايش بين أبناء الوطن قيمة راسخة، والتسامح جزء من هويتنا. وعلينا أن نربي أبناءنا على احترام "
        "الآخر ونبذ الطائفية والتعصب، فالوطن للجميع والتعايش السلمي هو طريق التنمية.",
        set(), id="ar-tolerance-column-is-not-reconciliation",
    ),
    pytest.param(
        "عودة التيار الكهربائي إلى أحياء عدن بعد انقطاع يومين",
        "أعلنت مؤسسة الكهرباء عودة التيار الكهربائي إلى معظم أحياء عدن بعد انقطاع استمر يومين. وقال السكان إن "
        "عودة الكهرباء خففت معاناتهم مع ارتفاع درجات الحرارة.",
        set(), id="ar-electricity-return",
    ),
    pytest.param(
        "ارتفاع عائدات السياحة وعودة الطلاب إلى المدارس",
        "ارتفعت عائدات قطاع السياحة بنسبة عشرة في المائة هذا العام. ومع بداية العام الدراسي شهدت المدن عودة "
        "الطلاب والمعلمين إلى المدارس وسط ازدحام مروري.",
        set(), id="ar-revenues-and-students",
    ),
    pytest.param(
        "استمرار المصالحة الخليجية بزيارة وزير الخارجية القطري إلى الرياض",
        "وصل وزير الخارجية القطري إلى الرياض في زيارة تعكس تحسن العلاقات بعد المصالحة الخليجية. وبحث "
        "الجانبان التعاون الاقتصادي وتنسيق المواقف في القضايا الإقليمية.",
        set(), id="ar-gulf-diplomacy-is-not-reconciliation",
    ),
    pytest.param(
        "ارتفاع صادرات النفط العراقية إلى مستوى قياسي",
        FILLER_AR * 2 + "وكانت الحقول الشمالية قد تضررت عندما سيطر تنظيم داعش على المنطقة. " + FILLER_AR * 2,
        set(), id="ar-daesh-passing-in-oil-story",
    ),
    pytest.param(
        "مقتل قيادي في تنظيم الدولة بغارة على ريف دير الزور",
        "قتل قيادي بارز في تنظيم الدولة الإسلامية بغارة للتحالف الدولي في ريف دير الزور. وقالت مصادر محلية "
        "إن القيادي كان مسؤولا عن تجنيد المقاتلين الأجانب، وإن خلايا التنظيم نفذت هجمات انتقامية.",
        {"isis"}, id="ar-isis-leader-killed",
    ),
    pytest.param(
        "عائلات من مخيم الهول تعود إلى الأنبار ومخاوف من رفض المجتمع",
        "عادت خمسون عائلة من مخيم الهول إلى مناطقها في الأنبار بعد التدقيق الأمني. وقال شيوخ عشائر إن قبول "
        "العائلات يتطلب مصالحة مجتمعية وضمانات لذوي الضحايا، فيما عقدت لجنة السلم الأهلي جلسات حوار.",
        {"isis", "returns", "reconciliation"}, id="ar-al-hol-return-and-acceptance",
    ),
]


@pytest.mark.parametrize("title, text, expected", ENGLISH + ARABIC)
def test_hard_case_gets_exactly_its_tags(title: str, text: str, expected: set[str]) -> None:
    assert labels(title, text) == expected


def test_a_sentence_repeated_word_for_word_counts_once() -> None:
    caption = "Displaced families wait at a camp outside the city, May 2016."
    once = CLASSIFIER.classify(ClassifierInput(id="c1", title="City market", text=FILLER_EN + caption))
    thrice = CLASSIFIER.classify(ClassifierInput(id="c2", title="City market",
                                                 text=FILLER_EN + " ".join([caption] * 3)))
    assert thrice.scores["returns"] <= once.scores["returns"] + 0.01


def test_one_long_arabic_sentence_counts_as_several_passages() -> None:
    """Arabic runs paragraphs together with commas: a long sentence on the topic is more than one line of it."""
    long_sentence = (
        "وقال مسؤول محلي إن السلطات ناقشت آلية استقبال العائدين من الخارج وتأمين مساكن للنازحين العائدين إلى "
        "منازلهم في المدينة، وإن لجنة خاصة ستتولى حصر البيوت المدمرة وتقديم المساعدة للأسر العائدة، كما "
        "ستعمل على إزالة الألغام وإعادة الخدمات الأساسية وفتح المدارس والمراكز الصحية في الأحياء الشرقية والغربية "
        "التي عاد إليها السكان خلال الأسابيع الماضية بعد توقف القتال، مشيرا إلى أن عودة النازحين إلى بقية الأحياء "
        "ستبدأ الشهر المقبل."
    )
    text = FILLER_AR + long_sentence
    assert "returns" in labels("مسؤولون يناقشون أوضاع المدينة", text)
