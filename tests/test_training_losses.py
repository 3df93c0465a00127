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
