"""Behaviour of the shipped rules on short passages written for these tests: topics, passing mentions, false friends."""

from __future__ import annotations

import pickle

import pytest

from classifiers import Classifier, load_classifier
from newsmon.records import TAGS, ClassifierInput

CLASSIFIER = load_classifier()


def tags_of(title: str, text: str, lang: str | None = None) -> tuple[str, ...]:
    return CLASSIFIER.classify(ClassifierInput(id="t", title=title, text=text, lang=lang)).labels


FILLER_EN = (
    "The ministry said the new budget would fund road repairs in three provinces. "
    "Traders in the main market reported steady sales of vegetables and bread. "
    "Officials expect the work to finish before the autumn rains begin. "
    "A spokesman said contracts would be published online next month. "
)

POSITIVES = [
    pytest.param(
        "Iraqi forces kill Islamic State commander in Hamrin raid",
        "Iraqi counter-terrorism forces killed a senior Islamic State commander in the Hamrin mountains on Sunday. "
        "The militant had led an ISIS cell blamed for attacks on army posts. Two other IS fighters were arrested. "
        "Officials said the group's sleeper cells still move between hideouts in the area.",
        "isis", id="isis-security-operation",
    ),
    pytest.param(
        "Guardian-style spelling: Isis militants attack checkpoint in Deir ez-Zor",
        "Isis militants attacked a checkpoint in eastern Syria overnight, killing four guards. "
        "The jihadist group claimed responsibility through its propaganda channels. "
        "Isis sleeper cells have stepped up ambushes this year.",
        "isis", id="isis-mixed-case-with-militant-context",
    ),
    pytest.param(
        "Families return to Sinjar villages as camps empty",
        "Hundreds of displaced Yazidi families returned to their villages in Sinjar this week. "
        "Many had spent eight years in camps near Duhok. Returnees said their homes were destroyed and water "
        "was scarce. Aid groups are helping the families rebuild their lives.",
        "returns", id="returns-idps-going-home",
    ),
    pytest.param(
        "Kazakhstan repatriates 40 women and children from al-Hol",
        "Kazakhstan repatriated 40 women and children from the al-Hol and Roj camps in north-east Syria. "
        "The returnees will go through rehabilitation before joining their relatives.",
        "returns", id="returns-repatriation-from-camps",
    ),
    pytest.param(
        "Tribal elders sign reconciliation pact in Diyala after years of feuding",
        "Sunni and Shia tribal elders in Diyala signed a community reconciliation agreement on Monday. "
        "Mediators said the pact ends a feud that left a dozen dead and opens the way for dialogue sessions "
        "between the villages. Victims' families will receive compensation.",
        "reconciliation", id="reconciliation-tribal-pact",
    ),
    pytest.param(
        "Police and residents meet to rebuild trust in Kirkuk",
        "Police officers and residents of mixed neighbourhoods in Kirkuk met to rebuild trust after last year's "
        "clashes. The peacebuilding programme funds monthly meetings between communities and the security forces.",
        "reconciliation", id="reconciliation-police-community-trust",
    ),
]


@pytest.mark.parametrize("title, text, tag", POSITIVES)
def test_topic_gets_its_tag(title: str, text: str, tag: str) -> None:
    assert tag in tags_of(title, text)


NEGATIVES = [
    pytest.param(
        "Mosul Dam water release cut as Tigris falls",
        FILLER_EN * 3 + "The dam was briefly seized by Islamic State fighters in 2014. " + FILLER_EN * 3,
        "isis", id="passing-mention-of-islamic-state",
    ),
    pytest.param(
        "Temple of Isis at Philae reopens after restoration",
        "Restorers finished cleaning the reliefs in the temple of Isis on Philae island. "
        "The goddess Isis was worshipped there until the sixth century. Visitors can again see the carvings.",
        "isis", id="isis-goddess",
    ),
    pytest.param(
        "Rowers protest sewage in the Isis",
        "Rowers and swimmers gathered on the Isis in Oxford to protest sewage discharges. "
        "Campaigners want the stretch of the Thames designated for bathing.",
        "isis", id="isis-river-oxford",
    ),
    pytest.param(
        "Think tank says Iran enriched more uranium",
        "The Institute for Science and International Security (ISIS) said Iran had expanded enrichment. "
        "ISIS analysts based the estimate on satellite images. ISIS urged inspectors to visit the site.",
        "isis", id="isis-acronym-of-a-think-tank",
    ),
    pytest.param(
        "Iraq extends deadline for tax returns",
        "Companies in Iraq have another month to file their tax returns after the e-filing system crashed. "
        "Families who run small businesses said the tax return forms were confusing.",
        "returns", id="tax-return-is-not-returns",
    ),
    pytest.param(
        "Investors chase higher returns in Kurdish oil fields",
        "Foreign firms are bidding for oil fields as the government promises better returns to investors. "
        "The return on investment improved after the new contract terms.",
        "returns", id="investment-returns-is-not-returns",
    ),
    pytest.param(
        "Banks order staff to return to office",
        "Three banks told employees to return to the office five days a week from March. "
        "Staff said the return to office policy ignored long commutes.",
        "returns", id="return-to-office-is-not-returns",
    ),
    pytest.param(
        "Striker returns to Iraq squad after injury",
        "Striker Ali Kareem returned to the national squad after a knee injury. "
        "His return from injury boosts the team before the qualifier. He grew up in Baghdad.",
        "returns", id="athlete-comeback-is-not-returns",
    ),
    pytest.param(
        "Senate Republicans plan budget reconciliation bill",
        "Republicans will use budget reconciliation to pass tax cuts through the Senate. "
        "Reconciliation lets the bill avoid the filibuster, and the parliamentarian will rule on the Byrd rule.",
        "reconciliation", id="budget-reconciliation-is-not-reconciliation",
    ),
    pytest.param(
        "Central bank sets deadline for account reconciliation",
        "The central bank gave lenders 60 days to complete account reconciliation for dollar transfers. "
        "Bank reconciliation errors delayed payments to importers.",
        "reconciliation", id="bank-reconciliation-is-not-reconciliation",
    ),
    pytest.param(
        "Pop singer and sister announce reconciliation on stage",
        "The singer and her sister ended their feud at a concert on Sunday, calling it a reconciliation. "
        "Fans cheered as the two performed together.",
        "reconciliation", id="celebrity-reconciliation",
    ),
]


@pytest.mark.parametrize("title, text, tag", NEGATIVES)
def test_false_friend_or_passing_mention_gets_no_tag(title: str, text: str, tag: str) -> None:
    assert tag not in tags_of(title, text)


ARABIC = [
    pytest.param(
        "مقتل خمسة من عناصر داعش في عملية أمنية غربي الأنبار",
        "قتلت القوات العراقية خمسة من عناصر تنظيم داعش في وادي حوران. وقال مصدر أمني إن خلايا التنظيم الإرهابي "
        "كانت تخطط لهجمات على الطريق الدولي. وأضاف أن العملية جاءت بعد معلومات استخبارية عن تحركات الدواعش.",
        {"isis"}, id="ar-daesh-with-clitics",
    ),
    pytest.param(
        "عودة مئات العائلات النازحة إلى قراها في ريف عدن",
        "بدأت مئات الأسر النازحة بالعودة إلى منازلها في عدن بعد تحسن الأوضاع الأمنية. وقال مسؤول محلي إن "
        "العائدين وجدوا بيوتهم مدمرة. وطالبت المنظمات بتسهيل عودة النازحين وإزالة الألغام.",
        {"returns"}, id="ar-return-of-displaced-yemen",
    ),
    pytest.param(
        "إطلاق حوار وطني ليبي لتعزيز المصالحة الوطنيّة",
        "أطلقت الأطراف الليبية حواراً وطنياً برعاية أممية لتعزيز المصالحة الوطنية وإنهاء الانقسام. "
        "وقال المشاركون إن لجان المصالحة ستعمل على جبر الضرر وتعويض الضحايا وترسيخ السلم الأهلي.",
        {"reconciliation"}, id="ar-national-dialogue-libya-with-tashkeel",
    ),
    pytest.param(
        "عودة المهاجم إلى قائمة المنتخب بعد تعافيه من الإصابة",
        "أعلن مدرب المنتخب عودة المهاجم إلى القائمة بعد تعافيه من الإصابة. وقال إن اللاعب جاهز للمباراة المقبلة "
        "أمام الأردن، وإن الجماهير تنتظر عودته بفارغ الصبر.",
        set(), id="ar-player-comeback-is-not-returns",
    ),
    pytest.param(
        "عوائد النفط تتراجع مع انخفاض الأسعار",
        "تراجعت عوائد النفط العراقية الشهر الماضي مع انخفاض الأسعار العالمية. وقالت الوزارة إن العائدات "
        "ستغطي الرواتب رغم التراجع.",
        set(), id="ar-oil-revenues-are-not-returns",
    ),
    pytest.param(
        "مبادرة مصرفية لتسوية القروض المتعثرة",
        "أطلق المصرف الزراعي مبادرة لتسوية القروض المتعثرة للفلاحين. وقال مدير المصرف إن المصالحة مع المقترضين "
        "تتم عبر جدولة الديون.",
        set(), id="ar-bank-settlement-is-not-reconciliation",
    ),
    pytest.param(
        # Normalised, مصالحه ("his interests") is spelt like مصالحة ("reconciliation").
        "نواب يتهمون رئيس الحكومة السابق بتسخير الدولة لخدمة مصالحه",
        "اتهم نواب رئيس الحكومة السابق بتسخير مؤسسات الدولة لخدمة مصالحه الشخصية. وقالوا إن حرصه على مصالحه الخاصة "
        "قاد البلاد إلى صراع طائفي وعنف بين مكوناتها، وإن مصالحه ومصالح حلفائه تقدمت على مصالح المواطنين.",
        set(), id="ar-his-interests-are-not-reconciliation",
    ),
    pytest.param(
        # Bare حوار needs two other words of a conflict; it is not its own company.
        "الحوار يحصن الشباب",
        "يرى الكاتب أن الحوار مع الشباب في البيت والمدرسة يحصنهم من الأفكار الهدامة. ويدعو إلى لقاءات حوار يشارك فيها "
        "الآباء والمعلمون، فالحوار في رأيه أنجع من العقاب. ويختم بأن ثقة الشباب تكسب بالإصغاء والحوار لا بالوعظ.",
        set(), id="ar-dialogue-with-the-young-is-not-reconciliation",
    ),
    pytest.param(
        # الحماس is zeal; حماس without ال is Hamas, a word of Palestinian reconciliation.
        "الشباب والتطوع في الصيف",
        "يرى الكاتب أن الحماس الذي أبداه الشباب في حملات التطوع هذا الصيف يستحق التشجيع. ويدعو الجهات الرسمية إلى "
        "الحوار معهم ومنحهم الثقة، فالحماس إذا وجد من يرعاه صنع جيلا منتجا. ويقترح ملتقى سنويا للحوار بين المتطوعين "
        "والمسؤولين.",
        set(), id="ar-zeal-is-not-hamas",
    ),
    pytest.param(
        # A summit's line of support for "a political solution" among other files is not.
        "القمة الخليجية تدعو إلى مواجهة التدخلات الإيرانية",
        "دعا البيان الختامي للقمة إلى مواجهة التدخلات الإيرانية في شؤون المنطقة وتعزيز التعاون الدفاعي بين دول "
        "المجلس. وأكد القادة دعمهم للحل السياسي في سوريا واليمن. كما رحبوا بالاتفاقيات الاقتصادية الموقعة وبخطط "
        "الربط الكهربائي بين الدول الأعضاء.",
        set(), id="ar-summit-line-on-a-political-solution-is-not-reconciliation",
    ),
]


@pytest.mark.parametrize("title, text, expected", ARABIC)
def test_arabic_forms_are_matched_natively(title: str, text: str, expected: set[str]) -> None:
    assert set(tags_of(title, text)) == expected
    assert set(tags_of(title, text, lang="ar")) == expected  # same whether lang is given or detected


def test_geneva_talks_between_a_wars_sides_are_reconciliation_and_between_states_are_not() -> None:
    """Talks to end a war between its sides are mediation between parties (docs/labels.md); Geneva also hosts
    talks between states, whose delegations are governments too, so the talks count only with a named side of a
    civil war in the sentence."""
    text = ("وصل وفد {a} ووفد {b} إلى سويسرا للمشاركة في مشاورات جنيف. وقال مصدر في الوفد {c} إن محادثات جنيف مع {b} "
            "ستتناول {d}. ويلتقي الطرفان وجها لوجه للمرة الأولى.")
    yemen = CLASSIFIER.classify(ClassifierInput(
        id="yemen", title="وفدا الحكومة والحوثيين في جنيف", lang="ar",
        text=text.format(a="الحكومة اليمنية", b="الحوثيين", c="الحكومي", d="انسحاب المسلحين من المدن وتبادل الأسرى")))
    nuclear = CLASSIFIER.classify(ClassifierInput(
        id="nuclear", title="وفدا إيران والدول الكبرى في جنيف", lang="ar",
        text=text.format(a="الحكومة الإيرانية", b="الدول الكبرى", c="الحكومي",
                         d="تخفيف العقوبات وأجهزة الطرد المركزي")))
    assert yemen.labels == ("reconciliation",)
    assert any("جنيف" in span for span in yemen.evidence["reconciliation"])  # the talks decided it
    assert nuclear.labels == ()


def test_scores_cover_every_tag_and_labels_follow_thresholds() -> None:
    doc = ClassifierInput(id="a1", title="Islamic State attack", text="Islamic State fighters attacked a village.")
    result = CLASSIFIER.classify(doc)
    assert set(result.scores) == set(TAGS)
    assert all(0.0 <= s <= 1.0 for s in result.scores.values())
    assert result.labels == tuple(t for t in TAGS if result.scores[t] >= CLASSIFIER.thresholds[t])
    assert set(result.evidence) == set(result.labels)


def test_evidence_is_a_few_short_spans_holding_the_deciding_terms() -> None:
    text = " ".join(f"Islamic State fighters attacked village number {n} near Mosul at dawn." for n in range(12))
    result = CLASSIFIER.classify(ClassifierInput(id="e", title="Islamic State attacks villages", text=text))
    spans = result.evidence["isis"]
    assert 1 <= len(spans) <= 5
    assert all(len(span) <= 120 and "Islamic State" in span for span in spans)


def test_threshold_from_config_changes_labels_not_scores() -> None:
    from newsmon.config import ClassifierConfig

    strict = load_classifier(ClassifierConfig(thresholds={"isis": 0.999}))
    doc = ClassifierInput(id="s", title="Islamic State attack", text="Islamic State fighters attacked a village.")
    assert strict.classify(doc).scores == CLASSIFIER.classify(doc).scores
    assert "isis" not in strict.classify(doc).labels


def test_classifier_survives_pickling_for_worker_processes() -> None:
    doc = ClassifierInput(id="p", title="Returnees reach Sinjar", text="Displaced families returned home to Sinjar.")
    CLASSIFIER.classify(doc)  # warm the word cache; pickling must not carry it
    clone: Classifier = pickle.loads(pickle.dumps(CLASSIFIER))
    assert clone.classify(doc) == CLASSIFIER.classify(doc)
    assert clone.version == CLASSIFIER.version
