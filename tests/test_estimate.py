"""The estimate printed before a study starts follows each recipe's steps, not one figure per epoch."""
from ganclf.studies.estimate import planned_steps, study_seconds, typical_seconds
from ganclf.studies.plan import Cell, GANJob, StudyConfig, plan


def test_a_gan_on_the_whole_pool_costs_its_steps():
    short = GANJob("g", "dcgan-cnn", "mnist", "5000", 0, {"epochs": 2, "min_steps_per_epoch": 75})
    full = GANJob("g", "dcgan-cnn", "mnist", "all", 0, {})
    # 20 epochs of ~860 steps against 2 of ~78
    assert 100 < typical_seconds(full) / typical_seconds(short) < 120


def test_augment_trains_each_mix_with_the_steps_of_its_control():
    one = Cell("augment", "mnist", "100", 0, {"mixes": ["real+gen"], "shift": 2})
    three = Cell("augment", "mnist", "100", 0, {})
    control = Cell("cnn-shift", "mnist", "100", 0, {})
    assert planned_steps(one) == planned_steps(control) == [20 * 75]
    assert planned_steps(three) == 3 * planned_steps(control)
    assert typical_seconds(three) == 3 * typical_seconds(one)


def test_semi_supervised_cells_walk_the_pool_and_a_folder_dataset_is_estimated():
    small, large = (Cell("ssl-gan", "mnist", n, 0, {}) for n in ("100", "10000"))
    assert planned_steps(small) == [70 * (54_900 // 100)] and planned_steps(large) == [70 * (45_000 // 100)]
    assert typical_seconds(Cell("cnn", "/data/my-images", "10%", 0, {}, validation=0)) > 0
    assert typical_seconds(Cell("pca-knn", "mnist", "100", 0, {})) > 0


def test_one_cpu_cells_side_by_side():
    gans, cells = plan(StudyConfig(labels=("100",), methods=("cnn", "pi-model", "ssl-gan")))
    sequential = study_seconds(gans + cells)
    assert sequential / 2 < study_seconds(gans + cells, at_once=2, cpus=1) < sequential


def test_settings_a_run_will_refuse_do_not_break_the_estimate():
    assert typical_seconds(Cell("cnn", "mnist", "100", 0, {"epochs": 0})) == 0
