import pytest

from shapesim.training import TrainConfig


@pytest.mark.parametrize(
    "kw, message",
    [
        ({"steps": 0}, "steps must be positive"),
        ({"preset": "nope"}, "valid presets"),
        ({"holdout": ("blobs",)}, "valid families"),
        ({"precision": "fp8"}, "precision must be one of"),
        ({"arch": "transformer9000"}, "unknown architecture"),
        ({"lr": 0}, "lr and clip must be positive"),
        ({"pretrain": "rotation", "pretrain_steps": 3}, "pretrain must be one of"),
        ({"pretrain": "jigsaw"}, "pretrain_steps must be positive"),
        ({"pretrain": "jigsaw", "pretrain_steps": 3, "image_size": 63}, "image_size must be even"),
        ({"arch": "concat", "freeze_backbone": True}, "options of the agfusion design"),
        ({"people": 0.5}, "give --omniglot DIR"),
        ({"people": 1.0, "omniglot": "x"}, "people must be a share in"),
    ],
)
def test_bad_config_is_a_clear_error(kw, message):
    with pytest.raises(ValueError, match=message):
        TrainConfig(**kw)


def test_the_design_decides_which_settings_reach_the_model():
    assert TrainConfig(embedding_dim=16).build_model().embedding_dim == 16
    assert TrainConfig(arch="concat", embedding_dim=16).model_kwargs() == {}  # concat has no embeddings


def test_a_config_survives_its_json(tmp_path):
    from dataclasses import asdict

    config = TrainConfig(holdout=("star",), steps=7)
    (tmp_path / "c.json").write_text(__import__("json").dumps({**asdict(config), "from_the_future": 1}))
    again = TrainConfig.from_json(tmp_path / "c.json")  # unknown keys (a newer version's) are skipped
    assert again == config and again.holdout == ("star",)


def test_the_data_shares_are_the_presets_unless_a_run_sets_them():
    assert TrainConfig(preset="seed").spec().framed == 0.0  # the origin project's data: plain random pairs
    assert TrainConfig(preset="seed").spec().hard_negatives == 0.0
    assert TrainConfig().spec().framed == 0.6 and TrainConfig().spec().hard_positives == 0.25
    run = TrainConfig(preset="seed", framed=0.5, hard_negatives=0.1).spec()
    assert (run.framed, run.hard_negatives, run.hard_positives) == (0.5, 0.1, 0.0)
    with pytest.raises(ValueError, match="framed must be a share"):
        TrainConfig(framed=1.5)
