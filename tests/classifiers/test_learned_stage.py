"""The learned stage: topics told without the rules' keywords get their tag, with the sentences that decided it.

Articles here are invented for these tests; none is in classifiers/training/.
"""

from __future__ import annotations

import pickle
import re
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from classifiers import load_classifier
from classifiers.learned import SHIPPED_MODEL, load_model, word_features, word_id
from classifiers.rules import SHIPPED_RULES_DIR
from classifiers.train import read_sentences
from newsmon.config import ClassifierConfig
from newsmon.errors import ConfigError
from newsmon.records import ClassifierInput

WITH_LEARNED = load_classifier()
RULES_ONLY = load_classifier(learned=False)

FAMILIES_LEAVE_CAMP = ClassifierInput(
    id="camp", lang="en", title="Villagers pack up their tents and set off for Baaj",
    text="After eight years in a camp near Duhok, forty families loaded their tents and mattresses onto lorries on "
         "Monday and set off for their villages around Baaj.\nEach family was given a cash grant by the migration "
         "ministry before leaving, and more households plan to follow in the spring.\nThe local council said water "
         "and power had been restored in three of the villages.")
DESERT_AMBUSH = ClassifierInput(
    id="ambush", lang="en", title="Hunters killed in desert ambush",
    text="Two truffle hunters were killed and three kidnapped when gunmen ambushed them in the desert east of "
         "Palmyra, relatives said.\nLocal officials blamed sleeper cells of the jihadists, who have hidden in the "
         "Badia since losing their last territory and often target hunters in the spring season.\nThe army sent "
         "reinforcements and helicopters to search the area.")


@pytest.mark.parametrize("doc, tag", [
    pytest.param(FAMILIES_LEAVE_CAMP, "returns", id="families-leave-camp-without-the-word-return"),
    pytest.param(DESERT_AMBUSH, "isis", id="attack-by-cells-without-the-group-name"),
])
def test_a_topic_without_keywords_is_tagged_with_the_sentences_that_decided_it(doc: ClassifierInput,
                                                                                tag: str) -> None:
    assert tag not in RULES_ONLY.classify(doc).labels  # the rules alone miss it
    result = WITH_LEARNED.classify(doc)
    assert tag in result.labels
    evidence = result.evidence[tag]
    assert evidence and all(span and (span in doc.text or span in doc.title) for span in evidence)


def test_one_sentence_in_a_long_unrelated_story_stays_a_passing_mention() -> None:
    paragraphs = [
        "At dawn the boats leave the harbour, crews shouting over the engines as they head for the fishing grounds.",
        "Catches have fallen in the past decade because of pollution, overfishing and rising salinity.",
        "One fisherman remembers the years when militias took a cut of every catch at the quay.",
        "In 2014 his two sons went north to fight the jihadists and spent a year at the front.",
        "Today the family earns less than half what it did ten years ago, and the younger son drives a taxi.",
        "Fish prices in the city markets have doubled, and imports fill the stalls.",
        "The ministry says it will restock the marshes with fingerlings and enforce a closed season in spring.",
        "In the evenings the men mend nets and talk about the weather, the price of fuel and the football.",
    ]
    doc = ClassifierInput(id="long", lang="en", title="A year with the fishermen of Fao", text="\n".join(paragraphs))
    assert WITH_LEARNED.classify(doc).labels == ()


def test_the_learned_stage_only_adds_to_what_the_rules_decided() -> None:
    doc = ClassifierInput(id="kw", lang="en", title="Islamic State claims attack on army post",
                          text="Islamic State fighters attacked an army post near Rutba. ISIS said it killed four.")
    assert WITH_LEARNED.classify(doc).labels == RULES_ONLY.classify(doc).labels == ("isis",)


def test_version_names_rules_and_model_so_retag_can_tell_them_apart() -> None:
    assert WITH_LEARNED.version.startswith(RULES_ONLY.version + "+linear-")
    assert WITH_LEARNED.classify(DESERT_AMBUSH).classifier_version == WITH_LEARNED.version


def test_learned_weight_zero_in_a_rules_dir_turns_the_stage_off_for_that_tag(tmp_path: Path) -> None:
    folder = tmp_path / "rules"
    shutil.copytree(SHIPPED_RULES_DIR, folder)
    en = folder / "en.toml"
    text = en.read_text(encoding="utf-8")
    start = text.index("[returns]\n")
    table_end = text.index("\n[", start + 1)
    switched_off = re.sub(r"(?m)^learned_weight = .*$", "learned_weight = 0", text[start:table_end], count=1)
    en.write_text(text[:start] + switched_off + text[table_end:], encoding="utf-8")
    custom = load_classifier(ClassifierConfig(rules_dir=folder))
    assert "returns" not in custom.classify(FAMILIES_LEAVE_CAMP).labels
    assert "isis" in custom.classify(DESERT_AMBUSH).labels


def test_a_worker_process_gets_the_same_answers_from_a_pickled_classifier() -> None:
    copy = pickle.loads(pickle.dumps(WITH_LEARNED))
    for doc in (FAMILIES_LEAVE_CAMP, DESERT_AMBUSH):
        assert copy.classify(doc) == WITH_LEARNED.classify(doc)


def test_an_unreadable_model_file_is_a_config_error_naming_it(tmp_path: Path) -> None:
    broken = tmp_path / "model.bin"
    broken.write_bytes(SHIPPED_MODEL.read_bytes()[:100])
    with pytest.raises(ConfigError, match=r"model\.bin: cannot read the learned model.*classifiers\.train"):
        load_model(broken)


def test_shipped_training_sentences_parse_and_cover_every_tag_in_both_languages() -> None:
    sentences = read_sentences()
    for lang in ("en", "ar"):
        for tag in ("isis", "returns", "reconciliation"):
            assert sum(1 for s in sentences if s.lang == lang and tag in s.tags) >= 30, (lang, tag)


def test_words_inside_a_negative_phrase_do_not_send_their_passage_to_the_learned_stage() -> None:
    doc = ClassifierInput(id="shop", lang="en", title="Retailers brace for the busiest week of holiday returns",
                          text="Shops expect holiday returns to peak on Monday. Product returns cost retailers "
                               "billions each year, and tax returns are due the same week.")
    assert "returns" not in WITH_LEARNED.classify(doc).labels


def test_isis_as_the_neutron_source_is_not_the_group() -> None:
    doc = ClassifierInput(id="lab", lang="en", title="ISIS neutron source begins a new run of experiments",
                          text="Scientists at the ISIS neutron and muon source in Oxfordshire started a new cycle of "
                               "experiments on Monday. ISIS beams will be used to study battery materials.")
    assert WITH_LEARNED.classify(doc).labels == ()


def test_once_isis_is_named_as_the_neutron_source_its_bare_acronym_is_the_facility_too() -> None:
    doc = ClassifierInput(id="beamline", lang="en", title="Chemists watch salt crystals grow",
                          text="A team from Leeds used the ISIS pulsed neutron source to follow crystals as they "
                               "formed.\nThe group spent four days on a beamline at ISIS.\nISIS, in Oxfordshire, "
                               "takes proposals twice a year.")
    assert "isis" not in WITH_LEARNED.classify(doc).labels


def test_the_acronym_defined_as_another_body_leaves_the_group_s_other_names_counting() -> None:
    doc = ClassifierInput(id="both", lang="en", title="Islamic State claims attack on Syrian checkpoint",
                          text="The Islamic State group said its fighters attacked the checkpoint near Palmyra.\n"
                               "Daesh has staged dozens of such attacks this year.\nIn unrelated news, the ISIS "
                               "neutron source in Oxfordshire opened a new instrument.")
    assert "isis" in WITH_LEARNED.classify(doc).labels


@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12)
       | st.text(alphabet=st.characters(min_codepoint=0x0600, max_codepoint=0x06FF), min_size=1, max_size=12))
@settings(max_examples=400, deadline=None)
def test_a_word_s_weights_are_its_feature_buckets_summed_whatever_its_script(form: str) -> None:
    # The learned stage cuts n-grams from one encoding of the word where letters have one width; the result must
    # be what training saw: each bucket of word_features, summed in order.
    model = WITH_LEARNED.model
    assert model is not None
    flat = model.weights
    sums = [0.0, 0.0, 0.0]
    for bucket in word_features(form):
        for tag in range(3):
            sums[tag] += flat[3 * bucket + tag]
    assert model._form_weights(form) == (word_id(form), *sums)
