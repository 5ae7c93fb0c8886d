"""The estimate printed before a study starts follows each recipe's steps, not one figure per epoch."""
from ganclf.studies.estimate import study_seconds, typical_seconds
from ganclf.studies.plan import PRESETS, Cell, GANJob, plan


def test_a_gan_on_the_whole_pool_costs_its_steps():
    short = GANJob("g", "dcgan-cnn", "mnist", "5000", 0, {"epochs": 2, "min_steps_per_epoch": 75})
    full = GANJob("g", "dcgan-cnn", "mnist", "all", 0, {})
    # 20 epochs of ~860 steps against 2 of ~78
    assert 100 < typical_seconds(full) / typical_seconds(short) < 120


def test_augment_pays_for_each_mix_and_its_synthetic_images():
    one = Cell("augment", "mnist", "100", 0, {"mixes": ["real+gen"]})
    three = Cell("augment", "mnist", "100", 0, {})
    cnn = Cell("cnn", "mnist", "100", 0, {})
    assert typical_seconds(three) > typical_seconds(one) > 3 * typical_seconds(cnn)


def test_semi_supervised_cells_walk_the_pool_and_a_folder_dataset_is_estimated():
    small, large = (Cell("ssl-gan", "mnist", n, 0, {}) for n in ("100", "10000"))
    assert typical_seconds(small) == typical_seconds(large)
    assert typical_seconds(Cell("cnn", "/data/my-images", "10%", 0, {}, validation=0)) > 0
    assert typical_seconds(Cell("pca-knn", "mnist", "100", 0, {})) > 0


def test_one_cpu_cells_side_by_side():
    gans, cells = plan(PRESETS["verdict-cpu"])
    sequential = study_seconds(gans + cells)
    assert sequential / 2 < study_seconds(gans + cells, at_once=2, cpus=1) < sequential


def test_settings_a_run_will_refuse_do_not_break_the_estimate():
    assert typical_seconds(Cell("cnn", "mnist", "100", 0, {"epochs": 0})) == 0
