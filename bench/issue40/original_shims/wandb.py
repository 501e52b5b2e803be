"""Stand-in for wandb, which the original LETTER tokenizer imports but never calls on the paths run here."""


def log(*args, **kwargs):
    pass


def init(*args, **kwargs):
    pass
