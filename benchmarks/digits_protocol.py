"""The digits benchmark's network and training budget, shared by the benchmark scripts.

Chapter 4 (CBAM) introduced them and chapters 5, 6 and 8 reuse them, so that accuracies
compare across chapters: the chapters spell the same values out for their readers.
"""

# A three-stage ResNet of one basic block per stage for 32 x 32 one-channel images.
DIGITS_NETWORK = dict(
    block="basic",
    layers=(1, 1, 1),
    widths=(16, 32, 64),
    num_classes=10,
    in_channels=1,
    stem="small",
)
# Images per split, and train_classifier's budget: 5 epochs of 32 batches.
PROTOCOL = dict(train=2000, test=1000, epochs=5, batch_size=64, learning_rate=3e-3)

# `--quick` (make results QUICK=1): the whole pipeline in seconds per configuration.
# Its numbers mean nothing; it proves that every script still runs and writes its file.
QUICK_PROTOCOL = dict(train=256, test=128, epochs=1, batch_size=64, learning_rate=3e-3)
QUICK_SEEDS = 2


def use_quick_protocol() -> None:
    """Shrink PROTOCOL in place, for every script and helper that reads it."""
    PROTOCOL.update(QUICK_PROTOCOL)
