import torch
import torch.nn.functional as F

from shapesim.models import AGFusionModel, FusionOutput
from shapesim.training.losses import all_pairs_loss, contrastive_loss


def test_contrastive_loss_prefers_embeddings_grouped_by_class():
    classes = torch.tensor([0, 0, 1, 1, 2, 2])
    grouped = F.one_hot(classes, 3).float() + 0.01 * torch.randn(6, 3)
    assert contrastive_loss(grouped, classes) < contrastive_loss(grouped[torch.tensor([0, 2, 4, 1, 3, 5])], classes)


def test_all_pairs_loss_rewards_embeddings_that_agree_with_the_classes():
    model = AGFusionModel(embedding_dim=3)
    classes = torch.tensor([0, 1, 2, 0, 1, 2])  # pictures a then b: three pairs of the same class
    right = F.one_hot(classes, 3).float()
    wrong = F.one_hot(torch.tensor([0, 0, 0, 1, 1, 1]), 3).float()

    def loss(e):
        return all_pairs_loss(model, FusionOutput(None, None, e[:3], e[3:], None, None), classes)

    assert loss(right) < loss(wrong)


def test_every_pair_loss_weighs_same_and_different_pairs_alike():
    from shapesim.training.losses import every_pair_loss

    ids = torch.tensor([0, 1, 2, 0, 1, 2])
    same = (ids[:, None] == ids[None, :]).float()
    right, wrong = 8 * same - 4, 4 - 8 * same
    assert every_pair_loss(right, ids) < 0.05 < every_pair_loss(wrong, ids)
    # one positive among many negatives counts as much as all the negatives: calling every pair "different"
    # is not a way out
    assert every_pair_loss(torch.full((6, 6), -6.0), ids) > 2.9


def test_every_pair_loss_gives_near_misses_their_share_of_the_different_pairs():
    """Six identities drawn twice; identity 3 is a near miss of identity 2. Called "same", that one pair of
    identities is 4 of 60 different pairs, but with ``hard`` it carries that share of their loss."""
    from shapesim.training.losses import every_pair_loss

    ids = torch.arange(6).repeat(2)
    rivals = torch.tensor([-1, -1, -1, 2, -1, -1]).repeat(2)
    same = ids[:, None] == ids[None, :]
    fooled = (ids[:, None] // 2 == 1) & (ids[None, :] // 2 == 1)  # 2 and 3 called the same
    logits = torch.where(same | fooled, 6.0, -6.0)
    plain = every_pair_loss(logits, ids)
    weighted = every_pair_loss(logits, ids, rivals, hard=0.25)
    assert weighted > 3 * plain  # the mistake on the near miss counts
    assert every_pair_loss(logits, ids, rivals, hard=0.0) == plain  # hard 0: as before
    right = torch.where(same, 6.0, -6.0)
    assert every_pair_loss(right, ids, rivals, hard=0.25) < 0.01
    # no rival in the batch: every different pair weighs alike, whatever hard says
    assert torch.isclose(every_pair_loss(logits, ids, torch.full_like(ids, -1), 0.25), plain)


def test_one_shot_loss_is_each_picture_picking_its_identity_among_the_others():
    from shapesim.training.losses import one_shot_loss

    ids = torch.tensor([5, 6, 7, 5, 6, 7])  # first drawings, then second drawings
    same = (ids[:, None] == ids[None, :]).float()
    assert one_shot_loss(10 * same, ids) < 1e-3
    assert one_shot_loss(torch.zeros(6, 6), ids) == torch.log(torch.tensor(3.0))  # a guess among three
    shuffled = 10 * same[:, torch.tensor([0, 1, 2, 4, 5, 3])]
    assert one_shot_loss(shuffled, ids) > 5
    twice = torch.tensor([5, 5, 7, 5, 5, 7])  # an identity twice among the second drawings: either is right
    assert one_shot_loss(10 * (twice[:, None] == twice[None, :]).float(), twice) < 0.7
