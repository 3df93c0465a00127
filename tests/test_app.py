import matplotlib.figure

import app


def test_sample_pairs_returns_a_figure_of_eight_pairs():
    fig = app.sample_pairs("seed", 3)
    assert isinstance(fig, matplotlib.figure.Figure)
    assert len([ax for ax in fig.axes if ax.images]) == 8


def test_the_app_builds():
    demo = app.build()
    assert demo.title == "shapesim"
