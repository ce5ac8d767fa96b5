"""Report corpora: the bundled IU reports, the train/dev split, and the sample feed rendered from them."""
