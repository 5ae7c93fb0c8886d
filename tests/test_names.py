"""The torch-free name tables (ganclf.names) against the modules that define the names, and the old names."""
import pytest

from ganclf import names
from ganclf.config import config_from_dict, config_to_dict
from ganclf.methods import REGISTRY, get_method


@pytest.mark.parametrize("method", list(REGISTRY))
def test_method_presets_match_the_methods(method):
    entry = get_method(method)
    assert entry.name == method
    assert names.METHOD_PRESETS[method][0] == entry.default_preset
    assert set(names.METHOD_PRESETS[method]) == set(entry.presets)


def test_every_registered_method_is_named_and_nothing_else():
    assert list(names.METHOD_PRESETS) == list(REGISTRY)


def test_every_method_has_one_kind_and_each_gan_method_a_control():
    grouped = [m for methods in names.METHOD_KINDS.values() for m in methods]
    assert sorted(grouped) == sorted(REGISTRY)
    assert list(names.METHOD_KIND_LINES) == list(names.METHOD_KINDS)  # every kind has its line in a report
    for method in REGISTRY:
        control = get_method(method).control
        assert (control is not None) == (names.method_kind(method) == "GAN methods"), method


def test_study_presets_match_the_plan():
    from ganclf.studies.plan import PRESETS
    assert tuple(PRESETS) == names.STUDY_PRESETS
    assert all(new in PRESETS for new in names.STUDY_ALIASES.values())


def test_old_names_map_to_the_new_ones():
    assert get_method("cnn-seed") is get_method("cnn-original")
    assert names.method_name("cnn-seed") == "cnn-original"
    assert names.preset_name("transfer", "seed-trial2") == "original-trial2"
    assert names.preset_name("train-gan", "dcgan-seed") == "dcgan-original"
    assert names.preset_name("ssl-gan", None) == "mlp"
    assert names.study_preset("seeds") == "original"
    for old, new in names.PRESET_ALIASES.items():
        assert any(new in presets for presets in names.METHOD_PRESETS.values()), old


@pytest.mark.parametrize("call, message", [
    (lambda: names.method_name("cnnn"), "unknown method 'cnnn'; choose from cnn, cnn-original"),
    (lambda: names.preset_name("transfer", "trial1"), "unknown transfer preset 'trial1'; choose from default, "
                                                       "original-trial1"),
    (lambda: names.study_preset("quik"), "unknown study preset 'quik'; choose from quick, original"),
])
def test_unknown_names_are_refused_with_the_valid_ones(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_old_stored_configurations_still_load():
    """Runs made before the rename stored arch cnn-seed and GAN networks seed."""
    from ganclf.methods.baseline import CNNConfig
    from ganclf.methods.gan import GANConfig
    from ganclf.models.classifiers import build_classifier
    cnn = config_to_dict(get_method("cnn-original").presets["default"])
    assert config_from_dict(CNNConfig, {**cnn, "arch": "cnn-seed"}, "config").arch == "cnn-seed"
    assert build_classifier("cnn-seed", 10)[7].in_features == 1600
    gan = config_to_dict(get_method("train-gan").presets["dcgan-original"])
    assert gan["networks"] == "original"
    assert config_from_dict(GANConfig, {**gan, "networks": "seed"}, "config").networks == "seed"


def test_a_study_made_under_the_old_names_reads_in_the_new_ones():
    from ganclf.studies import _renamed
    stored = {"preset": "seeds", "methods": ["cnn-seed", "cnn"], "seeds": 1}
    assert _renamed(stored) == {"preset": "original", "methods": ["cnn-original", "cnn"], "seeds": 1}
