"""Self-supervised learning (paper Section 3): augmentations, the model and its loss, training
of SimCLR replicas and the representations h they give."""
